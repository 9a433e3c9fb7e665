"""The browser's firegate session, its CSRF token and its cookies
(docs/decisions/0160-browser-sessions.md).

The session cookie holds the session's access and refresh tokens: each signed-in request
verifies the access token as the API does (so logout everywhere, a password or MFA change,
disabling and deletion end it on the next request); an expired one is renewed with the
refresh token, which rotates. The cookies are HttpOnly: no token reaches page script."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlsplit

from flask import Response, current_app, g, request

from domain.errors import ImpersonationForbidden, Unauthenticated
from domain.languages import LOCALES
from interfaces.shared.acting import (
    Caller,
    Presented,
    SessionTokens,
    authenticated_caller,
    renewed_session,
    route_here,
)

EXTENSION = "firegate.pages"
SEPARATOR = "~"  # in neither a JWT nor a refresh token
DEVICE_MAX_AGE = 180 * 24 * 3600  # as long as the device token itself is valid
MFA_MAX_AGE = 5 * 60  # as long as the mfa_token itself is valid
LANGUAGE_MAX_AGE = 365 * 24 * 3600
ACCOUNT_LANGUAGE = "account_language"  # in g: the page speaks the signed-in account's
DEFAULT_PORTS = {"http": 80, "https": 443}
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class PagesConfig:
    site_name: str = "firegate"
    public_url: str = "http://127.0.0.1:8000"
    local: bool = False  # plain cookie names, no Secure: the local profile over http
    key: bytes = b""  # the CSRF tokens' HMAC key (derived from the signing secret)
    passkey_origins: tuple[str, ...] = ()  # WEBAUTHN_ORIGINS; none: not checked
    # The origins the units add to those, read as a request asks (an org's active sign-in
    # hosts): those whose passkey answers sign-in accepts besides the configured ones
    added_passkey_origins: Callable[[], Sequence[str]] = tuple
    logo_url: str = ""  # SITE_LOGO_URL: a path of this site or a data: URL
    brand_color: str = ""  # BRAND_COLOR: the accent of the light scheme
    support_email: str = ""  # SUPPORT_EMAIL: in every page's footer
    sso_acs_limit: str = ""  # RATE_LIMIT_SSO_ACS: the IdPs' answers per address; "": none
    # The challenge's widget script and the origins the pages' CSP then allows; "": no
    # provider (docs/security.md, "A challenge on signals")
    challenge_script: str = ""
    challenge_origins: tuple[str, ...] = ()
    email_code: bool = True  # PASSWORDLESS_EMAIL: /sign-in offers "E-mail me a code"

    @property
    def origin(self) -> str:
        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}"

    @cached_property
    def passkey_hosts(self) -> frozenset[str]:
        """The ``Host`` of each of WEBAUTHN_ORIGINS (``origin_hosts``)."""
        return origin_hosts(self.passkey_origins)

    def cookie(self, name: str) -> str:
        return f"firegate_{name}" if self.local else f"__Host-firegate_{name}"


def origin_hosts(origins: Iterable[str]) -> frozenset[str]:
    """The ``Host`` of each origin, with and without its scheme's default port (a browser
    leaves it out, a client may not)."""
    hosts: set[str] = set()
    for origin in origins:
        parts = urlsplit(origin)
        host, port = (parts.hostname or "").lower(), parts.port
        if ":" in host:  # an IPv6 address: Host writes it in brackets
            host = f"[{host}]"
        if port is None or port == DEFAULT_PORTS.get(parts.scheme):
            hosts.update({host, f"{host}:{DEFAULT_PORTS.get(parts.scheme)}"})
        else:
            hosts.add(f"{host}:{port}")
    return frozenset(hosts)


def config() -> PagesConfig:
    found: PagesConfig = current_app.extensions[EXTENSION]
    return found


def _set(response: Response, name: str, value: str, max_age: int | None, samesite: str) -> None:
    cfg = config()
    response.set_cookie(
        cfg.cookie(name),
        value,
        max_age=max_age,
        path="/",
        secure=not cfg.local,
        httponly=True,
        samesite=samesite,
    )


def _delete(response: Response, name: str) -> None:
    cfg = config()
    response.delete_cookie(
        cfg.cookie(name), path="/", secure=not cfg.local, httponly=True, samesite="Lax"
    )


def _read(name: str) -> str:
    cookies, key = request.cookies, config().cookie(name)
    # Not ``cookies.get``: a miss (a signed-out browser's every cookie) raises inside it.
    return cookies[key] if key in cookies else ""  # noqa: SIM401 - see above


# -- the session


def signed_in(*, with_factor: bool = False) -> Caller | None:
    """The signed-in caller, renewing an expired access token; None when signed out (the
    session cookie is then dropped from the response). ``with_factor``: read the account's
    authenticator in the same round trip (``Actor.factor``), when this is the request's first
    call. The session guards the units lend refuse what they mark of the page's route (a
    session of support access: what would outlast it)."""
    if "browser_actor" in g:
        found: Caller | None = g.browser_actor
        return found
    g.browser_actor = None
    access, _, refresh_token = _read("session").partition(SEPARATOR)
    if not access:
        return None
    route = route_here()
    try:
        g.browser_actor = authenticated_caller(Presented(access, with_factor, route=route))
    except Unauthenticated:
        try:
            pair = renewed_session(refresh_token) if refresh_token else None
            if pair is not None:
                try:
                    g.browser_actor = authenticated_caller(
                        Presented(pair.access_token, with_factor, route=route)
                    )
                except ImpersonationForbidden:
                    g.browser_pair = pair  # the rotated tokens are kept, the route refused
                    raise
                g.browser_pair = pair
        except Unauthenticated:
            pass
        if g.browser_actor is None:
            g.browser_signed_out = True
    return g.browser_actor  # type: ignore[no-any-return]


def start(response: Response, pair: SessionTokens) -> None:
    """Sign this browser in with ``pair``: a new CSRF secret, the session and device cookies.
    The session this request read, renewed or found ended is replaced, not written after."""
    g.pop("browser_pair", None)
    g.pop("browser_signed_out", None)
    _set(
        response,
        "session",
        pair.access_token + SEPARATOR + pair.refresh_token,
        pair.refresh_expires_in,
        "Lax",
    )
    _set(response, "csrf", new_secret(), None, "Lax")
    if pair.device_token:
        _set(response, "device", pair.device_token, DEVICE_MAX_AGE, "Strict")
    _delete(response, "mfa")
    _delete(response, "mfa-lang")
    _delete(response, "step-up")


def renewed(response: Response, access_token: str, max_age: int) -> None:
    """The same session with a new access token (one that names another active org): the
    refresh token stays, the one this request rotated to if it did. ``max_age``: until the
    session itself ends."""
    pair: SessionTokens | None = g.pop("browser_pair", None)
    refresh_token = pair.refresh_token if pair else _read("session").partition(SEPARATOR)[2]
    _set(response, "session", access_token + SEPARATOR + refresh_token, max_age, "Lax")


def end(response: Response) -> None:
    g.pop("browser_pair", None)  # tokens renewed in this request must not outlive it
    _delete(response, "session")
    _set(response, "csrf", new_secret(), None, "Lax")


def signed_in_id() -> str:
    """The account this browser is signed in to ("" for none), read only where a session
    cookie came: an answer from an identity provider may come with none."""
    actor = signed_in() if has_session() else None
    return actor.user_id if actor is not None else ""


def has_session() -> bool:
    """Whether this browser holds a session cookie, valid or not (``signed_in`` checks it)."""
    return bool(_read("session"))


def seems_signed_in() -> bool:
    """For an error page's links, without another read: signed in as this request found the
    caller, or, where it did not look, whether this browser holds a session cookie."""
    if "browser_actor" in g:
        return g.browser_actor is not None
    return has_session()


def device_token() -> str:
    return _read("device")


def user_agent() -> str:
    """What the browser says it is, as a sign-in's session keeps it."""
    return request.user_agent.string[:256]


def hold_mfa_token(response: Response, mfa_token: str, locale: str | None) -> None:
    """The second step's token, and the account's language, which its page speaks (no
    account is signed in yet to tell it)."""
    _set(response, "mfa", mfa_token, MFA_MAX_AGE, "Strict")
    if locale:
        _set(response, "mfa-lang", locale, MFA_MAX_AGE, "Strict")
    else:
        _delete(response, "mfa-lang")


def mfa_token() -> str:
    return _read("mfa")


def mfa_locale() -> str:
    return _read("mfa-lang") if mfa_token() else ""


def keep_session(response: Response) -> Response:
    """After each page: the rotated tokens, or no session cookie once it has ended."""
    pair: SessionTokens | None = g.pop("browser_pair", None)
    if pair is not None:
        _set(
            response,
            "session",
            pair.access_token + SEPARATOR + pair.refresh_token,
            pair.refresh_expires_in,
            "Lax",
        )
    elif g.pop("browser_signed_out", False):
        _delete(response, "session")
    if g.pop("csrf_new", None):
        _set(response, "csrf", g.csrf_secret, None, "Lax")
    return response


# -- an app's request for a stronger sign-in (docs/pages.md, "Signing in to an app")


@dataclass(frozen=True)
class StepUpAsked:
    """An app asked more of this browser's sign-in than it has: the sign-in page and its
    second step say that ``app`` asks for ``acr`` (one of firegate's classes)."""

    app: str
    acr: str


def _digest(back: str) -> str:
    return hashlib.sha256(back.encode()).hexdigest()[:32]


def hold_step_up(response: Response, back: str, asked: StepUpAsked) -> None:
    """What the sign-in for ``back`` (the app's request, asked again once signed in) says,
    until a sign-in succeeds; bound to ``back``, so another sign-in page says nothing of it
    (docs/decisions/0610-the-step-up-page-names-the-app.md)."""
    held = json.dumps({"next": _digest(back), "app": asked.app, "acr": asked.acr})
    value = base64.urlsafe_b64encode(held.encode()).decode().rstrip("=")
    _set(response, "step-up", value, MFA_MAX_AGE, "Lax")


def step_up_asked(back: str) -> StepUpAsked | None:
    """What an app asked of the sign-in for ``back``, if this browser holds it."""
    value = _read("step-up")
    if not value:
        return None
    try:
        held = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(held, dict) or held.get("next") != _digest(back):
        return None
    app, acr = held.get("app"), held.get("acr")
    return StepUpAsked(app, acr) if isinstance(app, str) and isinstance(acr, str) else None


# -- a sign-in with an upstream provider in progress (docs/reference/providers.md)

FLIGHT_MAX_AGE = 10 * 60  # as long as the flight itself is valid


def hold_flight(response: Response, flight: str, *, form_post: bool) -> None:
    """The sealed flight this browser brings back from the provider. Lax goes with the
    provider's redirect back (a top-level GET); a provider that posts its answer (Apple) is
    sent it only as SameSite=None, which browsers take with Secure only (not locally)."""
    cross_site_post = form_post and not config().local
    _set(response, "upstream", flight, FLIGHT_MAX_AGE, "None" if cross_site_post else "Lax")


def flight() -> str:
    return _read("upstream")


def drop_flight(response: Response) -> Response:
    _delete(response, "upstream")
    return response


# -- a sign-in by e-mail code in progress (docs/reference/email-code.md#the-link)

EMAIL_FLOW_MAX_AGE = 10 * 60  # as long as the flow itself is valid


def hold_email_flow(response: Response, secret: str) -> None:
    """The secret that tells the flow's link this is the browser that asked. Lax: the link
    is opened from a mail, a top-level GET from another site."""
    _set(response, "email-code", secret, EMAIL_FLOW_MAX_AGE, "Lax")


def email_flow_secret() -> str:
    return _read("email-code")


def drop_email_flow(response: Response) -> Response:
    _delete(response, "email-code")
    return response


# -- a sign-in by a code of a unit's own channel in progress, its cookie named by the unit
# (the phone unit's "phone-code": docs/decisions/0540-the-texted-codes-pages.md)


def hold_code_flow(response: Response, name: str, secret: str) -> None:
    """The secret that makes the flow this browser's: its code page takes the code only with
    it (a flow's id seen elsewhere opens nothing). Strict: no link leads to the code page."""
    _set(response, name, secret, EMAIL_FLOW_MAX_AGE, "Strict")


def code_flow_secret(name: str) -> str:
    return _read(name)


def drop_code_flow(response: Response, name: str) -> Response:
    _delete(response, name)
    return response


# -- a single sign-on in progress (docs/reference/sso.md, "Signing in")


def hold_sso_flight(response: Response, flight: str) -> None:
    """The sealed flight of a SAML sign-in. The IdP posts its answer from its own site: the
    cookie goes with that POST only as SameSite=None, which browsers take with Secure only
    (not locally, where the IdP on this machine is the same site)."""
    _set(response, "sso", flight, FLIGHT_MAX_AGE, "Lax" if config().local else "None")


def sso_flight() -> str:
    return _read("sso")


def drop_sso_flight(response: Response) -> Response:
    _delete(response, "sso")
    return response


# -- passkeys: where the page's address can use them (docs/pages.md#passkeys)


def passkey_origins() -> tuple[str, ...]:
    """Where the pages offer passkeys: WEBAUTHN_ORIGINS, then what the units add now (an
    org's active sign-in hosts), as the ceremonies accept them
    (docs/decisions/0905-passkeys-related-origins.md); read once a request."""
    if "passkey_origins" not in g:
        cfg = config()
        g.passkey_origins = tuple(
            dict.fromkeys((*cfg.passkey_origins, *cfg.added_passkey_origins()))
        )
    found: tuple[str, ...] = g.passkey_origins
    return found


def passkeys_here() -> bool:
    """Whether this page's address is one where passkeys work: one of ``passkey_origins``,
    by host and port (a proxy that ends TLS may hide the scheme). Where it is not, the page
    says where they do; the pages' script checks the address the browser is really on,
    which a proxy that rewrites ``Host`` hides from here
    (docs/decisions/0220-passkeys-say-where-they-work.md)."""
    cfg, host = config(), request.host.lower()
    if not cfg.passkey_origins or host in cfg.passkey_hosts:
        return True
    return host in origin_hosts(passkey_origins())


# -- the language a signed-out browser chose (docs/pages.md#languages)


def chosen_language() -> str:
    """The language this browser chose with the signed-out pages' switch, if any."""
    chosen = _read("lang")
    return chosen if chosen in LOCALES else ""


def choose_language(response: Response, locale: str) -> None:
    _set(response, "lang", locale, LANGUAGE_MAX_AGE, "Lax")


# -- CSRF


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _secret() -> str:
    if "csrf_secret" not in g:
        found = _read("csrf")
        if not found:
            found = new_secret()
            g.csrf_new = True
        g.csrf_secret = found
    secret: str = g.csrf_secret
    return secret


def csrf_token() -> str:
    """The token of this browser's forms: an HMAC of its CSRF secret cookie, which is new
    whenever a session starts or ends."""
    if "csrf_token" not in g:  # a page asks for it twice or more (the meta tag, each form)
        digest = hmac.new(config().key, _secret().encode(), hashlib.sha256).digest()
        g.csrf_token = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    token: str = g.csrf_token
    return token


def same_origin() -> bool:
    """A browser's POST from another site is refused (docs/security.md, "Pages"). Pages send
    ``Referrer-Policy: no-referrer``, under which browsers send ``Origin: null`` with a form;
    the script's ``fetch`` sends the page's origin. So an ``Origin`` must be null, PUBLIC_URL's
    or the one the request was sent to (the page's own: locally, passkeys need
    ``http://localhost:8000`` beside PUBLIC_URL's ``http://127.0.0.1:8000``), and
    ``Sec-Fetch-Site`` (sent whatever the referrer policy) must say same-origin where
    present."""
    origin = request.headers.get("Origin")
    ours = (config().origin, f"{request.scheme}://{request.host}")
    if origin is not None and origin != "null" and origin not in ours:
        return False
    site = request.headers.get("Sec-Fetch-Site")
    return site is None or site in ("same-origin", "none")


def csrf_ok() -> bool:
    """The form's ``csrf_token``, or for the pages' script (which reads the token from the
    page's ``<meta name="csrf-token">``) the ``X-CSRF-Token`` header: the same token, the
    same checks."""
    sent = request.headers.get(CSRF_HEADER) or request.form.get("csrf_token", "")
    return bool(_read("csrf")) and hmac.compare_digest(sent, csrf_token()) and same_origin()
