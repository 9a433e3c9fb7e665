"""Passkeys on the pages (docs/pages.md): the list, rename and delete forms on
/account/security, the JSON endpoints the pages' one script (static/webauthn.js) calls to
add a passkey and to sign in with one, and the passkey step of passkey-first sign-up. The
script sends the page's CSRF token in a header; its requests count in the API's passkey
limits (the signin unit's ``Pages.limited_as``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import Response, jsonify, request

from application.json_text import UnreadableJson, read_json
from application.signin.authentication import Actor
from application.signin.factors.passkeys import (
    AcceptedPasskeys,
    DeletePasskey,
    ListPasskeys,
    PasskeySignals,
    PasskeySignIn,
    RegisterPasskey,
    RegistrationOptions,
    RenamePasskey,
)
from application.signin.factors.totp import GetTotp
from application.signin.services import SigninServices
from domain.errors import Conflict, InvalidInput, Unauthenticated, Unreadable
from domain.signin.passkeys import Passkey
from interfaces.shared.limits import client_ip
from interfaces.shared.services import services
from interfaces.web import browser
from interfaces.web.accounts.account import account_form, done, signed_in
from interfaces.web.forms import field, safe_next
from interfaces.web.rendering import bp, page, see_other
from interfaces.web.signin.security import SECURITY
from interfaces.web.signin.signed_in import signed_in_actor


def _signed_in() -> Actor:
    """The caller of a script endpoint: 401 (JSON) when signed out."""
    actor = signed_in_actor()
    if actor is None:
        raise Unauthenticated("Sign in first.", code="signed_out")
    return actor


def _credential() -> dict[str, Any]:
    """The JSON object the script posts (what the browser's credential's toJSON() wrote), read
    with bounded nesting."""
    try:
        data = read_json(request.get_data(cache=True).decode("utf-8"))
    except (UnreadableJson, UnicodeDecodeError):
        raise Unreadable("The body is not valid UTF-8 JSON.", code="malformed_json") from None
    if not isinstance(data, dict):
        raise Unreadable("The JSON body must be an object.", code="json_not_object")
    return data


def _json(passkey: Passkey) -> dict[str, object]:
    return {
        "id": passkey.id,
        "name": passkey.name,
        "created_at": passkey.created_at.isoformat(),
        "last_used_at": passkey.last_used_at.isoformat() if passkey.last_used_at else None,
    }


@bp.context_processor
def _account_passkeys() -> dict[str, Callable[[], list[Passkey]]]:
    """``account_passkeys()`` for signin/_account_passkeys.html: read only where a page shows
    them."""

    def account_passkeys() -> list[Passkey]:
        actor = signed_in_actor()
        return (
            services().of(SigninServices).passkeys.list(ListPasskeys(actor))
            if actor is not None
            else []
        )

    return {"account_passkeys": account_passkeys}


@bp.context_processor
def _passkey_signals() -> dict[str, Callable[[], object]]:
    """``passkey_signals()`` for signin/_passkey_signals.html (the signed-in account's
    passkeys as the Signal API names them; None signed out) and ``passkey_rp_id()`` for the
    sign-in page's: read only where a page shows them (docs/pages.md, "Passkeys")."""

    def passkey_signals() -> PasskeySignals | None:
        actor = signed_in_actor()
        return (
            services().of(SigninServices).passkeys.accepted(AcceptedPasskeys(actor))
            if actor is not None
            else None
        )

    def passkey_rp_id() -> str:
        return services().of(SigninServices).passkeys.ceremonies.rp_id

    return {"passkey_signals": passkey_signals, "passkey_rp_id": passkey_rp_id}


# -- on /account/security


@bp.post("/account/passkeys/options")
def passkey_options() -> Response:
    return jsonify(
        services()
        .of(SigninServices)
        .passkeys.registration_options(RegistrationOptions(_signed_in(), _conditional()))
    )


# -- the automatic upgrade, on the page a person lands on (docs/passkeys-upgraded.md)


def _conditional() -> bool:
    """Whether the script asks for an automatic upgrade's options (``{"mediation":
    "conditional"}``; the body may be left out, as the "Add a passkey" button sends ``{}``).
    """
    if not request.get_data(cache=True):
        return False
    body = _credential()
    if "mediation" not in body:
        return False
    if body["mediation"] != "conditional":
        raise InvalidInput.field("mediation", 'Must be "conditional".', "literal_error")
    return True


@bp.app_context_processor  # every page's layout, whichever blueprint serves it
def _passkey_upgrade() -> dict[str, Callable[[], bool]]:
    """``passkey_upgrade_offered()`` for base.html: whether the page includes the upgrade's
    script (static/passkey-upgrade.js): signed in, on an address where passkeys work, within
    the upgrade window of a sign-in by password or code, while the account has no passkey.
    Nothing is read for a browser without a session."""

    def passkey_upgrade_offered() -> bool:
        if not browser.seems_signed_in() or not browser.passkeys_here():
            return False
        actor = signed_in_actor()
        return actor is not None and services().of(SigninServices).passkeys.upgrade_open(actor)

    return {"passkey_upgrade_offered": passkey_upgrade_offered}


@bp.post("/account/passkeys")
def add_passkey() -> Response:
    actor = _signed_in()
    credential = _credential()
    name = credential.pop("name", None)
    if name is None:
        name = ""
    elif not isinstance(name, str):
        raise InvalidInput.field("name", "Must be text.", "invalid_type")
    passkey = (
        services().of(SigninServices).passkeys.register(RegisterPasskey(actor, credential, name))
    )
    response = jsonify(_json(passkey))
    response.status_code = 201
    return response


@bp.post("/account/passkeys/<passkey_id>/rename")
@signed_in
@account_form("passkey-rename", SECURITY, also=lambda _, passkey_id: {"renaming": passkey_id})
def rename_passkey(actor: Actor, passkey_id: str) -> Response:
    name = field("name", required=False)
    services().of(SigninServices).passkeys.rename(RenamePasskey(actor, passkey_id, name))
    return done("passkey-renamed", SECURITY)


@bp.post("/account/passkeys/<passkey_id>/delete")
@signed_in
@account_form("passkey-delete", SECURITY)
def delete_passkey(actor: Actor, passkey_id: str) -> Response:
    services().of(SigninServices).passkeys.delete(DeletePasskey(actor, passkey_id))
    return done("passkey-deleted", SECURITY)


# -- on /sign-in


@bp.post("/sign-in/passkey/options")
def passkey_sign_in_options() -> Response:
    return jsonify(services().of(SigninServices).passkeys.authentication_options())


@bp.post("/sign-in/passkey")
def passkey_sign_in() -> Response:
    """Signs this browser in as the password form does; the script then goes to ``location``
    (``?next=``, a path of this site)."""
    pair = (
        services()
        .of(SigninServices)
        .passkeys.sign_in(
            PasskeySignIn(
                credential=_credential(),
                user_agent=browser.user_agent(),
                client_ip=client_ip(),
                device_token=browser.device_token(),
            )
        )
    )
    response = jsonify({"location": safe_next(request.args.get("next"))})
    browser.start(response, pair)
    return response


# -- on /sign-up: "Create with a passkey"


@bp.get("/sign-up/passkey")
def sign_up_passkey_page() -> Response:
    """Passkey-first sign-up (docs/pages.md): signed out, the address is proven first by an
    e-mailed code, which makes the account with no password; signed in (a recent sign-in,
    as adding a passkey needs), the page adds its passkey, then goes on to ``next``."""
    onward = safe_next(request.args.get("next"))
    if signed_in_actor() is None:
        here = "/sign-up/passkey?" + urlencode({"next": onward})
        return see_other("/sign-in/email-code?" + urlencode({"next": here}))
    done = "/sign-up/recovery-codes?" + urlencode({"next": onward})
    return page(
        "signin/sign_up_passkey.html",
        next=onward,
        done=done,
        passkeys_here=browser.passkeys_here(),
    )


@bp.get("/sign-up/recovery-codes")
@signed_in
def sign_up_recovery_codes_page(actor: Actor) -> Response:
    """Passkey-first sign-up's end: a button that makes the ten recovery codes. A GET makes
    nothing, so that a link another site opens, a prefetch or a reload never spends the one
    showing (docs/decisions/0476-recovery-codes-without-a-password.md)."""
    return page(
        "signin/sign_up_recovery_codes.html",
        next=safe_next(request.args.get("next")),
        recovery_codes=None,
    )


@bp.post("/sign-up/recovery-codes")
@signed_in
def sign_up_recovery_codes(actor: Actor) -> Response:
    """The ten recovery codes, made and shown this once; a later request says they were."""
    try:
        codes = services().of(SigninServices).totp.first_recovery_codes(GetTotp(actor))
    except Conflict:
        codes = ()
    return page(
        "signin/sign_up_recovery_codes.html",
        next=safe_next(request.args.get("next")),
        recovery_codes=codes,
    )
