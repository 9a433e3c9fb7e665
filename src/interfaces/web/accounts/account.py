"""The account area (docs/pages.md, "The account area"): the signed-in person's sections,
each at its own address with the area's navigation: Profile (/account: the profile, language
and time zone), Sign-in and security (password, passkeys, two-step sign-in), Devices and
sessions, Apps and tokens, Activity (with "This wasn't me") and Delete
(docs/decisions/0261-account-sections.md). Each form posts to /account/...; a done change
leads back to its section (303) with a word of confirmation, a refused one shows its section
again with the message beside its field (``errors.py``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps
from urllib.parse import urlencode

from flask import Response, request
from flask_babel import gettext

from application.accounts.accounts import DeleteUser, GetUser, UpdateProfile
from application.events.security_events import EventQuery
from application.mail.not_me import NotMe
from application.orgs.orgs import ListMyOrgs
from application.pagination import MAX_LIMIT
from application.provider.apps import ListApps, RevokeApp
from application.signin.authentication import Actor
from application.signin.login import ChangePassword
from application.signin.personal_tokens import CreateToken, ListTokens, RevokeToken
from application.signin.sessions import EndOtherSessions, EndSession, ListSessions
from application.signin.totp import GetTotp, MfaCommand
from domain.accounts.users import PROFILE_TEXTS
from domain.errors import InvalidInput
from domain.events.security_events import Activity
from interfaces.shared.limits import client_ip
from interfaces.shared.qr import qr_svg
from interfaces.shared.services import services
from interfaces.web import browser, shown, translated
from interfaces.web.forms import field, fields, form_errors
from interfaces.web.rendering import bp, page, see_other

WRONG_PASSWORD = "invalid_current_password"
WRONG_CODE = "invalid_mfa_code"
RECENT_EVENTS = 10  # what the account and admin pages show of an account's activity

AccountView = Callable[..., Response]
Reads = Callable[[Actor], dict[str, object]]


def header(actor: Actor) -> dict[str, object]:
    # Every section names the account (and offers /admin to an admin): read with the session;
    # and its header's org switcher, the person's orgs (docs/pages.md, "Organizations").
    return {
        "user": services().accounts.get(GetUser(actor)),
        "my_orgs": services().orgs.mine(ListMyOrgs(actor)),
        "active_org": actor.org,
    }


def _security(actor: Actor) -> dict[str, object]:
    return {
        **header(actor),
        "totp": services().totp.status(GetTotp(actor)),
        "passkeys_here": browser.passkeys_here(),
    }


def _devices(actor: Actor) -> dict[str, object]:
    return {
        **header(actor),
        "sessions": services().sessions.list(ListSessions(actor)),
        "current_session": actor.session_id,
    }


def _apps(actor: Actor) -> dict[str, object]:
    tokens = services().personal_tokens.list(ListTokens(actor, MAX_LIMIT)).items
    return {
        **header(actor),
        "apps": services().oauth_apps.list_apps(ListApps(actor)),
        "tokens": tokens,
        "now": datetime.now(UTC),
    }


def _activity(actor: Actor) -> dict[str, object]:
    # failed sign-ins in a row are one line
    events = services().events.recent(EventQuery(actor, RECENT_EVENTS))
    return {**header(actor), "events": events, "this_browser": this_browsers(events, actor)}


SIGN_INS = frozenset({"signin.succeeded", "signin.new_device"})


def this_browsers(events: Sequence[Activity], actor: Actor) -> frozenset[str]:
    """The ids of the sign-in events that began this browser's session: its "This wasn't
    me" button would disown this very browser (docs/pages.md, "Devices and times")."""
    return frozenset(
        line.event.id
        for line in events
        if line.event.type in SIGN_INS and line.event.session_id == actor.session_id
    )


@dataclass(frozen=True)
class Section:
    """One section of the account area: its address, its template, what it reads, and
    whether it shows the account's authenticator (read with the session, ``showing_account``)."""

    path: str
    template: str
    reads: Reads
    with_factor: bool = False


SECTIONS = {
    "profile": Section("/account", "accounts/account_profile.html", header),
    "security": Section("/account/security", "accounts/account_security.html", _security, True),
    "devices": Section("/account/devices", "accounts/account_devices.html", _devices),
    "apps": Section("/account/apps", "accounts/account_apps.html", _apps),
    "activity": Section("/account/activity", "accounts/account_activity.html", _activity),
    "delete": Section("/account/delete", "accounts/account_delete.html", header),
}
PROFILE, SECURITY, DEVICES, APPS, ACTIVITY, DELETE = SECTIONS.values()


def _guarded(view: AccountView, *, with_factor: bool) -> AccountView:
    @wraps(view)
    def wrapper(*args: object, **kwargs: object) -> Response:
        actor = browser.signed_in(with_factor=with_factor)
        if actor is None:
            here = request.path if request.method == "GET" else PROFILE.path
            return see_other("/sign-in?" + urlencode({"next": here}))
        return view(actor, *args, **kwargs)

    return wrapper


def signed_in(view: AccountView) -> AccountView:
    """The view gets the signed-in ``actor``; a signed-out browser goes to sign in first."""
    return _guarded(view, with_factor=False)


def signed_in_with_factor(view: AccountView) -> AccountView:
    """``signed_in``, with the account's authenticator read in the same round trip."""
    return _guarded(view, with_factor=True)


def account_form(
    form_id: str,
    section: Section,
    *,
    renamed: Mapping[str, str] | None = None,
    placed: Mapping[str, str] | None = None,
    also: Callable[..., Mapping[str, object]] | None = None,
) -> Callable[[AccountView], AccountView]:
    """``form_errors`` of a form of ``section``: a refused one re-renders the section
    (with ``also``'s, called with the route's arguments)."""

    def shown(actor: Actor, *args: object, **kwargs: object) -> Mapping[str, object]:
        extra = also(actor, *args, **kwargs) if also is not None else {}
        return {**section.reads(actor), **extra}

    return form_errors(
        section.template, form_id=form_id, renamed=renamed, placed=placed, shown=shown
    )


def _mfa(actor: Actor, *, password: str = "", code: str = "") -> MfaCommand:
    return MfaCommand.of(actor, password=password, code=code, client_ip=client_ip())


def section_page(actor: Actor, section: Section, **shown: object) -> Response:
    """A section of the account area; ``shown``: what this answer alone shows (a new secret,
    new codes)."""
    html = translated.render(section.template, form={}, **shown, **section.reads(actor))
    return Response(html)


def done(what: str, section: Section) -> Response:
    """Back to ``section``, which says ``what`` was done."""
    return see_other(section.path + "?" + urlencode({"done": what}))


def _section_route(section: Section) -> None:
    def show(actor: Actor) -> Response:
        return section_page(actor, section)

    show.__name__ = "account" if section is PROFILE else f"account_{section.template[8:-5]}"
    bp.get(section.path)(_guarded(show, with_factor=section.with_factor))


for _section in SECTIONS.values():
    _section_route(_section)


@bp.get("/account/profile")
def profile_address() -> Response:
    """The profile's other address (where its form posts): the profile is /account."""
    return see_other(PROFILE.path)


@bp.post("/account/profile")
@signed_in
@account_form("profile", PROFILE)
def save_profile(actor: Actor) -> Response:
    user = services().accounts.get(GetUser(actor))
    changes: list[tuple[str, str | None]] = [("username", field("username"))]
    email = field("email", required=user.email is not None)
    if email:  # an account without an address may keep having none
        changes.append(("email", email))
    changes += [(text, field(text, required=False) or None) for text in PROFILE_TEXTS]
    # As PATCH /user: only the fields given change.
    services().accounts.update_profile(UpdateProfile(actor.user_id, tuple(changes)))
    return done("profile", PROFILE)


@bp.post("/account/password")
@signed_in
@account_form(
    "password",
    SECURITY,
    renamed={"password": "new_password"},
    placed={WRONG_PASSWORD: "current_password"},
)
def change_password(actor: Actor) -> Response:
    # An account without a password sets its first one: that form has no current password;
    # the change form's is required (left empty, it is said beside the field).
    current_password = field("current_password", required="current_password" in request.form)
    new_password = field("new_password")
    services().login.change_password(
        ChangePassword.of(actor, current_password, new_password, client_ip())
    )
    return done("password", SECURITY)


@bp.post("/account/sessions/<session_id>/end")
@signed_in
@account_form("sessions", DEVICES)
def end_session(actor: Actor, session_id: str) -> Response:
    services().sessions.end(EndSession(actor, session_id))
    if session_id == actor.session_id:  # this browser's own: signed out, as by /sign-out
        response = see_other("/sign-in")
        browser.end(response)
        return response
    return done("session", DEVICES)


@bp.post("/account/not-me")
@signed_in
def account_not_me(actor: Actor) -> Response:
    """The "This wasn't me" button beside a sign-in: what the notice's link does, for the signed-in
    person; this browser is signed out with the rest."""
    mailed = services().not_me.not_me(NotMe(actor=actor, client_ip=client_ip()))
    response = page("mail/not_me_done.html", mailed=mailed)
    browser.end(response)
    return response


@bp.post("/account/apps/revoke")
@signed_in
@account_form("apps", APPS)
def revoke_app(actor: Actor) -> Response:
    services().oauth_apps.revoke_app(RevokeApp(actor, field("client_id")))
    return done("app", APPS)


@bp.post("/account/tokens")
@signed_in
@account_form("token-create", APPS, renamed={"scopes": "scope"})
def create_token(actor: Actor) -> Response:
    name, scope = fields("name", "scope")
    expires_in = field("expires_in")
    if not expires_in.isdigit():
        raise InvalidInput.field("expires_in", "Choose when it expires.", "invalid_expires_in")
    scopes = ("read", "write") if scope == "write" else (scope,)
    created = services().personal_tokens.create(CreateToken(actor, name, scopes, int(expires_in)))
    # Shown in this answer only: the page never shows the token again.
    return section_page(actor, APPS, created=created)


@bp.post("/account/tokens/revoke")
@signed_in
@account_form("token-revoke", APPS)
def revoke_token(actor: Actor) -> Response:
    services().personal_tokens.revoke(RevokeToken(actor, field("token_id")))
    return done("token-revoked", APPS)


@bp.post("/account/sessions/end-others")
@signed_in
@account_form("sessions", DEVICES)
def end_other_sessions(actor: Actor) -> Response:
    services().sessions.end_others(EndOtherSessions(actor))
    return done("sessions", DEVICES)


@bp.post("/account/totp")
@signed_in
@account_form("totp-start", SECURITY, placed={WRONG_PASSWORD: "password"})
def start_totp(actor: Actor) -> Response:
    enrolment = services().totp.start(_mfa(actor, password=field("password")))
    qr = qr_svg(
        enrolment.otpauth_uri,
        title=gettext("QR code for your authenticator app"),
        light="#fff",
    )
    # Shown in this answer only: the page never shows the secret again.
    return section_page(actor, SECURITY, enrolment=enrolment, qr_svg=qr)


@bp.post("/account/totp/confirm")
@signed_in
@account_form("totp-confirm", SECURITY, placed={WRONG_CODE: "code"})
def confirm_totp(actor: Actor) -> Response:
    codes = services().totp.confirm(_mfa(actor, code=field("code").strip()))
    return section_page(actor, SECURITY, recovery_codes=codes, done="totp-on")


@bp.post("/account/totp/disable")
@signed_in
@account_form("totp-disable", SECURITY, placed={WRONG_PASSWORD: "password", WRONG_CODE: "code"})
def disable_totp(actor: Actor) -> Response:
    password = field("password")
    services().totp.disable(_mfa(actor, password=password, code=field("code").strip()))
    return done("totp-off", SECURITY)


@bp.post("/account/totp/recovery-codes")
@signed_in
@account_form("recovery-codes", SECURITY, placed={WRONG_PASSWORD: "password", WRONG_CODE: "code"})
def new_recovery_codes(actor: Actor) -> Response:
    password = field("password")
    codes = services().totp.new_recovery_codes(
        _mfa(actor, password=password, code=field("code").strip())
    )
    return section_page(actor, SECURITY, recovery_codes=codes, done="recovery-codes")


@bp.post("/account/language")
@signed_in
@account_form("language", PROFILE)
def set_language(actor: Actor) -> Response:
    locale = field("locale", required=False) or None  # none: the browser's
    services().accounts.update_profile(UpdateProfile(actor.user_id, (("locale", locale),)))
    return done("language", PROFILE)


@bp.post("/account/time-zone")
@signed_in
@account_form("time-zone", PROFILE)
def set_time_zone(actor: Actor) -> Response:
    zone = field("time_zone", required=False) or None  # none: the browser's
    if zone is not None and zone not in shown.ZONES:
        raise InvalidInput.field("time_zone", "Not a time zone.", "unsupported_time_zone")
    services().accounts.update_profile(UpdateProfile(actor.user_id, (("time_zone", zone),)))
    return done("time-zone", PROFILE)


@bp.post("/account/delete")
@signed_in
@account_form("delete", DELETE, placed={WRONG_PASSWORD: "password"})
def delete_account(actor: Actor) -> Response:
    password = field("password")
    services().accounts.delete(DeleteUser(actor, password=password, client_ip=client_ip()))
    response = see_other("/sign-in?deleted=1")
    browser.end(response)
    return response
