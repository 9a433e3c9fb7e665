"""Connected accounts on the pages (docs/reference/identities.md): the list, "Connect
another" (the provider's round trip of interfaces/web/federation/upstream.py, which ends in
``connect_identity``) and "Disconnect" on /account/security, and rule 3's "sign in to
connect": a provider's sign-in that meets an account it may not be linked to by address
(``SignInToConnect``) holds the identity under a cookie's secret and shows /sign-in/connect;
once this browser is signed in, /account/connect links it
(docs/decisions/0282-pending-links.md)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from urllib.parse import urlencode

from flask import Response, request

from application.federation.connected import (
    Connect,
    ConnectPending,
    Disconnect,
    HoldPending,
    ListIdentities,
)
from application.federation.linking import SignInToConnect
from application.federation.services import FederationServices
from application.ports import ExternalIdentity
from application.signin.authentication import Actor
from domain.accounts.identities import PENDING_FOR, IdentityLink, PendingLink
from domain.errors import Conflict
from domain.link_tokens import InvalidToken
from interfaces.shared.problems import status_of
from interfaces.shared.services import services
from interfaces.web import browser
from interfaces.web.accounts.account import account_form, done, section_page, signed_in
from interfaces.web.messages import message
from interfaces.web.rendering import bp, page, see_other
from interfaces.web.signin.security import SECURITY
from interfaces.web.signin.signed_in import signed_in_actor

CONNECT_COOKIE = "connect"
FINISH = "/account/connect"


@bp.context_processor
def _account_identities() -> dict[str, Callable[[], object]]:
    """``account_identities()`` and ``connectable()`` (the providers, [id, name] each) for
    federation/_account_identities.html: read only where it is shown."""

    def account_identities() -> list[IdentityLink]:
        actor = signed_in_actor()
        return (
            services().of(FederationServices).identities.list(ListIdentities(actor))
            if actor is not None
            else []
        )

    def connectable() -> list[list[str]]:
        return [[b.id, b.name] for b in services().of(FederationServices).upstream.buttons()]

    return {
        "account_identities": account_identities,
        "connectable": connectable,
        "connect_proof": connect_proof,
    }


def connect_proof() -> str:
    """What a "Connect another" link carries: derived from this browser's CSRF token (never
    the token itself, as an address may be logged), so another site cannot start one. A
    browser without the CSRF cookie gets a new secret, so no proof it brings holds."""
    digest = hmac.new(browser.csrf_token().encode(), b"connect another", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def connect_proof_ok(proof: str) -> bool:
    return hmac.compare_digest(proof.encode(), connect_proof().encode())


def connect_identity(actor: Actor, identity: ExternalIdentity) -> Response:
    """The end of "Connect another" (the provider's return, a GET): the identity linked to
    the signed-in account, or the section saying why not (409 identity_taken: it is another
    account's)."""
    try:
        services().of(FederationServices).identities.connect(Connect(actor, identity))
    except Conflict as taken:
        why = message(taken.code, taken.detail)
        shown = section_page(actor, SECURITY, error=why, failed="identity-connect")
        shown.status_code = status_of(taken)
        return shown
    return done("identity-connected", SECURITY)


@bp.post("/account/identities/<provider>/disconnect")
@signed_in
@account_form("identity-disconnect", SECURITY)
def disconnect_identity(actor: Actor, provider: str) -> Response:
    services().of(FederationServices).identities.disconnect(Disconnect(actor, provider))
    return done("identity-disconnected", SECURITY)


# -- rule 3: sign in to connect


def _cookie_name() -> str:
    return browser.config().cookie(CONNECT_COOKIE)


def _secret() -> str:
    name = _cookie_name()
    # Not ``cookies.get``: a miss raises inside it (interfaces/web/browser.py says why).
    return request.cookies[name] if name in request.cookies else ""  # noqa: SIM401


def _forget(response: Response) -> Response:
    secure = not browser.config().local
    response.delete_cookie(_cookie_name(), path="/", secure=secure, httponly=True, samesite="Lax")
    return response


@bp.errorhandler(SignInToConnect)
def sign_in_to_connect(error: SignInToConnect) -> Response:
    """A page's provider sign-in met rule 3: hold the identity for this browser, and ask the
    person to sign in to the account that has the address."""
    secret = (
        services()
        .of(FederationServices)
        .identities.hold_pending(HoldPending(error.identity, error.provider_name))
    )
    response = see_other("/sign-in/connect")
    secure = not browser.config().local
    response.set_cookie(
        _cookie_name(),
        secret,
        max_age=int(PENDING_FOR.total_seconds()),
        path="/",
        secure=secure,
        httponly=True,
        samesite="Lax",
    )
    return response


def _pending() -> PendingLink | None:
    secret = _secret()
    if not secret:
        return None
    try:
        return services().of(FederationServices).identities.pending(secret)
    except InvalidToken:
        return None


@bp.get("/sign-in/connect")
def connect_notice() -> Response:
    """An account with this address exists: sign in to it to connect."""
    pending = _pending()
    sign_in = "/sign-in?" + urlencode({"next": FINISH})
    return page(
        "federation/sign_in_connect.html", pending=pending, sign_in=sign_in, signing_in=True
    )


@bp.get(FINISH)
@signed_in
def connect_confirm(actor: Actor) -> Response:
    """The signed-in person confirms the connection (a form: no change on a GET)."""
    return page("federation/account_connect.html", pending=_pending(), user_name=actor.username)


@bp.post(FINISH)
@signed_in
@account_form("identity-connect", SECURITY)
def connect_finish(actor: Actor) -> Response:
    services().of(FederationServices).identities.connect_pending(ConnectPending(actor, _secret()))
    return _forget(done("identity-connected", SECURITY))
