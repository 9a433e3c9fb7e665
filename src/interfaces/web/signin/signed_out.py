"""The pages of a signed-out browser (docs/pages.md): sign in (and its second step), sign up,
and sign out; verifying an address and a forgotten password are mail's (mail/flows.py).
Each route parses the form, builds the use case's command and calls it as the JSON routes
do, then renders; a refused form comes back as its route's ``form_errors`` says."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlencode

from flask import Response, request

from application.accounts.services import AccountServices
from application.accounts.signups import Register, SignUpWay
from application.signin.login import Login
from application.signin.mfa import MfaLogin
from application.signin.services import SigninServices
from application.signin.sessions import Logout
from domain.errors import DomainError, InvalidInput, MfaRequired
from domain.signin.acr import PHR
from domain.signin.mfa import FEDERATED
from domain.slots import Slot
from interfaces.shared.languages import accepted_locale
from interfaces.shared.limits import client_ip
from interfaces.shared.services import services
from interfaces.web import browser
from interfaces.web.forms import MAX_FIELD_CHARS, field, fields, form_errors, safe_next
from interfaces.web.parts import Pages
from interfaces.web.rendering import bp, kept_page, on_to_sso, page, see_other
from interfaces.web.signin.code_pages import replace_session
from interfaces.web.signin.signed_in import signed_in_actor

# [id, name] of each way in at another provider: the federation's upstream providers, handed
# in by the web adapter's composition (``install_sign_in``)
Buttons = Callable[[], list[list[str]]]
_UPSTREAMS: list[Buttons] = []

# Another way in the sign-in page links to ("Text me a code"): its path and its label, or
# None while it is off (a unit's ``SIGN_IN_LINKS``)
type SignInLink = Callable[[], tuple[str, str] | None]
_LINKS: list[SignInLink] = []


@dataclass(frozen=True)
class SsoStart:
    """Where an address's single sign-on starts (``path``), and the org's verified domain it
    was found by, exactly (``domain``: A-labels), which the page shows."""

    path: str
    domain: str


@dataclass(frozen=True)
class HomeRealm:
    """Home-realm discovery, single sign-on's (interfaces/web/sso/discovery.py): whether any
    org has single sign-on (the sign-in page then asks the address first), and the start of
    the connection an address belongs to, if any."""

    any_sso: Callable[[], bool]
    start_of: Callable[[str], SsoStart | None]
    # After the pages' sign-out of a federated session (its id, where the browser goes next):
    # on to the org's IdP to sign out there too, when the session began at one that lists its
    # single logout (docs/reference/sso.md, "Single logout"); None: nowhere.
    signed_out_at: Callable[[str, str], Response | None] = lambda _session, _next: None


NO_HOME_REALM = HomeRealm(any_sso=lambda: False, start_of=lambda _username: None)
_HOME_REALM: list[HomeRealm] = [NO_HOME_REALM]


def install_sign_in(
    *, upstreams: Sequence[Buttons], home_realm: HomeRealm, links: Sequence[SignInLink] = ()
) -> None:
    """The other providers' buttons of the sign-in and sign-up pages, home-realm discovery,
    and the units' other ways in by a link: called once, by the web adapter's composition."""
    _UPSTREAMS.extend(upstreams)
    _HOME_REALM[0] = home_realm
    _LINKS.extend(links)


def _sign_in_links() -> list[list[str]]:
    """The other ways in the sign-in page links to now ("Text me a code"): [path, label],
    plain values (part of a kept page's key), read on each request (a hook is set and
    removed while the service runs)."""
    return [list(shown) for link in _LINKS if (shown := link()) is not None]


def _upstream_buttons() -> list[list[str]]:
    """What the sign-in and sign-up pages show: [id, name] of each provider."""
    return [button for buttons in _UPSTREAMS for button in buttons()]


def _login(username: str, password: str, challenge_token: str = "") -> Login:
    """A password sign-in by this browser (the sign-in form, or signing up)."""
    return Login(
        login=username,
        password=password,
        user_agent=browser.user_agent(),
        client_ip=client_ip(),
        device_token=browser.device_token(),
        challenge_token=challenge_token,
    )


def _challenge_token() -> str:
    """The token the challenge's widget put in the form, where one was asked."""
    return field("challenge_token", required=False)


def _next() -> str:
    return safe_next(request.args.get("next"))


@bp.get("/sign-in")
def sign_in_page() -> Response:
    # ``again``: an app asked for a new sign-in (``prompt=login``, ``max_age``); the session
    # holds until that one succeeds (docs/decisions/0227-sign-in-again-keeps-the-session.md)
    again = request.args.get("again") == "1"
    if not again and signed_in_actor() is not None:
        return see_other(_next())
    # ``username``: an OpenID Connect client's login_hint, typed in for the person
    hint = request.args.get("username", "")[:MAX_FIELD_CHARS]
    return kept_page(
        "signin/sign_in.html",
        next=_next(),
        passkeys_here=browser.passkeys_here(),
        # part of the kept page's key: an org's host activated since shows in data-origins
        passkey_origins=browser.passkey_origins(),
        upstreams=_upstream_buttons(),
        # While any org has single sign-on, the address comes first (home-realm discovery)
        ask_first=_HOME_REALM[0].any_sso(),
        sign_in_links=_sign_in_links(),
        stepping_up=_stepping_up(),
        form={"username": hint} if hint else {},
        notice="reset"
        if request.args.get("reset")
        else "deleted"
        if request.args.get("deleted")
        else "again"
        if again
        else "",
    )


def _sign_in_page(*, ask_first: bool = False) -> dict[str, object]:
    """What the sign-in page shows besides its form: ``ask_first``, the address alone
    (home-realm discovery), else the whole form."""
    return {
        "next": _next(),
        "passkeys_here": browser.passkeys_here(),
        "upstreams": _upstream_buttons(),
        "ask_first": ask_first,
        "sign_in_links": _sign_in_links(),
        "stepping_up": _stepping_up(),
    }


def _stepping_up() -> dict[str, str | bool] | None:
    """An app's request for a stronger sign-in, which the sign-in for ``next`` and its second
    step say (docs/decisions/0610-the-step-up-page-names-the-app.md): plain values, part of
    a kept page's key (``kept_page``)."""
    asked = browser.step_up_asked(_next())
    # Only a passkey reaches ``phr``; a second factor or a passkey reach the rest.
    return {"app": asked.app, "passkey": asked.acr == PHR} if asked is not None else None


@bp.post("/sign-in")
@form_errors("signin/sign_in.html", shown=_sign_in_page)
def sign_in() -> Response:
    next_path = _next()
    try:
        username, password = fields("username", "password")
        pair = (
            services()
            .of(SigninServices)
            .login.login(_login(username, password, _challenge_token()))
        )
    except MfaRequired as exc:
        response = see_other("/sign-in/mfa?" + urlencode({"next": next_path}))
        browser.hold_mfa_token(response, exc.mfa_token, exc.locale)
        return response
    response = see_other(next_path)
    replace_session(response, pair)
    return response


@bp.post("/sign-in/continue")
@form_errors("signin/sign_in.html", shown=partial(_sign_in_page, ask_first=True))
def sign_in_continue() -> Response:
    """Home-realm discovery's first step: an address of an org's single sign-on goes to its
    start; anything else gets the usual form, what was typed filled in."""
    username = field("username").strip()
    start = _HOME_REALM[0].start_of(username)
    if start is not None:
        return on_to_sso(start.path, _next(), domain=start.domain)
    return page("signin/sign_in.html", 200, **_sign_in_page(), form={"username": username})


@bp.get("/sign-in/mfa")
def mfa_page() -> Response:
    if not browser.mfa_token():
        return see_other("/sign-in")
    return page("signin/sign_in_mfa.html", next=_next(), stepping_up=_stepping_up(), form={})


@bp.post("/sign-in/mfa")
@form_errors(
    "signin/sign_in_mfa.html", shown=lambda: {"next": _next(), "stepping_up": _stepping_up()}
)
def sign_in_mfa() -> Response:
    code = field("code", required=False).strip() or None
    recovery_code = field("recovery_code", required=False).strip() or None
    if (code is None) == (recovery_code is None):
        raise InvalidInput.field(
            "code", "Enter a code or a recovery code.", "code_or_recovery_code"
        )
    pair = (
        services()
        .of(SigninServices)
        .login.finish_mfa(
            MfaLogin(
                mfa_token=browser.mfa_token(),
                code=code,
                recovery_code=recovery_code,
                user_agent=browser.user_agent(),
                client_ip=client_ip(),
            )
        )
    )
    response = see_other(_next())
    replace_session(response, pair)
    return response


@bp.get("/sign-up")
def sign_up_page() -> Response:
    # ``next``: where a new account goes once signed in (the org invitation's page sends its
    # person here and back, docs/reference/orgs.md).
    return kept_page("signin/sign_up.html", next=_next(), upstreams=_upstream_buttons(), form={})


@bp.post("/sign-up")
@form_errors("signin/sign_up.html", shown=lambda: {"next": _next()})
def sign_up() -> Response:
    username, email, password = fields("username", "email", "password")
    # The account speaks the language the page was read in: the one this browser chose on
    # the pages, else its Accept-Language's.
    locale = browser.chosen_language() or accepted_locale()
    user = (
        services()
        .of(AccountServices)
        .accounts.register(
            Register(
                username=username,
                email=email,
                password=password,
                locale=locale,
                client_ip=client_ip(),
                challenge_token=_challenge_token(),
                way=SignUpWay.PAGE,
            )
        )
    )
    try:  # signed in at once, where the service lets an unverified address sign in
        pair = services().of(SigninServices).login.login(_login(username, password))
    except DomainError:
        return page(
            "signin/signed_up.html", email=user.email.value if user.email else "", status=201
        )
    response = see_other(_next())
    browser.start(response, pair)
    return response


@bp.post("/sign-out")
def sign_out() -> Response:
    actor = signed_in_actor()
    if actor is not None:
        services().of(SigninServices).sessions.logout(Logout(actor, False))
    # ``?next=``: the consent page's "not you?" signs in someone else, then comes back.
    back = request.args.get("next")
    target = "/sign-in?" + urlencode({"next": safe_next(back)}) if back else "/sign-in"
    onward = None
    if actor is not None and FEDERATED in actor.amr:  # begun at a provider: out there too
        onward = _HOME_REALM[0].signed_out_at(actor.session_id, target)
    response = onward or see_other(target)
    browser.end(response)
    return response


# The sign-in page's slots, which the units fill through their pages (``Pages.fills``): the
# other providers' buttons, home-realm discovery (one unit's at most) and the other ways in
# by a link.
UPSTREAMS = Slot[Buttons]("the sign-in page's other providers")
HOME_REALMS = Slot[HomeRealm]("the sign-in page's home-realm discovery")
SIGN_IN_LINKS = Slot[SignInLink]("the sign-in page's other ways in")


def home_realm(every: Pages) -> HomeRealm:
    """The home-realm discovery of the units' pages (``every``, folded): none, or one unit's;
    two units that give it stop the start."""
    realms = every.of(HOME_REALMS)
    if len(realms) > 1:
        raise ValueError("two units' pages give home-realm discovery")
    return realms[0] if realms else NO_HOME_REALM
