"""The account page (docs/pages.md): the signed-in person's profile, password, sessions,
two-step sign-in, language, recent activity (with "This wasn't me") and deletion. Each is a
small form posting to /account/...; a done change leads back to /account (303) with a word
of confirmation, a refused one shows the page again with the message beside its field
(``errors.py``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from urllib.parse import urlencode

from flask import Response
from flask_babel import gettext

from application.events.security_events import EventQuery
from application.identity.accounts import DeleteUser, GetUser, UpdateProfile
from application.identity.authentication import Actor
from application.identity.login import ChangePassword
from application.identity.sessions import EndOtherSessions, EndSession, ListSessions
from application.identity.totp import GetTotp, MfaCommand
from application.mail.not_me import NotMe
from application.oauth.apps import ListApps, RevokeApp
from interfaces.shared.limits import client_ip
from interfaces.shared.qr import qr_svg
from interfaces.shared.services import services
from interfaces.web import browser, translated
from interfaces.web.forms import field, fields, form_errors
from interfaces.web.rendering import bp, page, see_other

TEMPLATE = "account.html"
WRONG_PASSWORD = "invalid_current_password"
WRONG_CODE = "invalid_mfa_code"
RECENT_EVENTS = 10  # what the account and admin pages show of an account's activity

AccountView = Callable[..., Response]


def _guarded(view: AccountView, *, with_factor: bool) -> AccountView:
    @wraps(view)
    def wrapper(*args: object, **kwargs: object) -> Response:
        actor = browser.signed_in(with_factor=with_factor)
        if actor is None:
            return see_other("/sign-in?" + urlencode({"next": "/account"}))
        return view(actor, *args, **kwargs)

    return wrapper


def signed_in(view: AccountView) -> AccountView:
    """The view gets the signed-in ``actor``; a signed-out browser goes to sign in first."""
    return _guarded(view, with_factor=False)


def showing_account(view: AccountView) -> AccountView:
    """As ``signed_in``, with the account's authenticator read in the same round trip as
    the session check. Only for a view that changes nothing: a view that changes the
    authenticator must show it as it is after the change, read then."""
    return _guarded(view, with_factor=True)


def context(actor: Actor) -> dict[str, object]:
    """What the account page shows, read through the same use cases as the API's."""
    return {
        "user": services().accounts.get(GetUser(actor)),
        "sessions": services().sessions.list(ListSessions(actor)),
        # failed sign-ins in a row are one line
        "events": services().events.recent(EventQuery(actor, RECENT_EVENTS)),
        "apps": services().oauth.list_apps(ListApps(actor)),
        "current_session": actor.session_id,
        "totp": services().totp.status(GetTotp(actor)),
        "passkeys_here": browser.passkeys_here(),
    }


def account_form(
    form_id: str,
    *,
    renamed: Mapping[str, str] | None = None,
    placed: Mapping[str, str] | None = None,
) -> Callable[[AccountView], AccountView]:
    """``form_errors`` of a form of the account page: a refused one re-renders the page."""
    return form_errors(
        TEMPLATE,
        form_id=form_id,
        renamed=renamed,
        placed=placed,
        shown=lambda actor, **_: context(actor),
    )


def _mfa(actor: Actor, *, password: str = "", code: str = "") -> MfaCommand:
    return MfaCommand.of(actor, password=password, code=code, client_ip=client_ip())


def account_page(actor: Actor, **shown: object) -> Response:
    """The account page; ``shown``: what this answer alone shows (a new secret, new codes)."""
    return Response(translated.render(TEMPLATE, form={}, **shown, **context(actor)))


def done(what: str) -> Response:
    return see_other("/account?" + urlencode({"done": what}))


@bp.get("/account")
@showing_account
def account(actor: Actor) -> Response:
    return account_page(actor)


@bp.post("/account/profile")
@signed_in
@account_form("profile")
def save_profile(actor: Actor) -> Response:
    user = services().accounts.get(GetUser(actor))
    changes: list[tuple[str, str | None]] = [("username", field("username"))]
    email = field("email", required=user.email is not None)
    if email:  # an account without an address may keep having none
        changes.append(("email", email))
    changes += [(name, field(name, required=False) or None) for name in ("name", "last_name")]
    # As PATCH /user: only the fields given change.
    services().accounts.update_profile(UpdateProfile(actor.user_id, tuple(changes)))
    return done("profile")


@bp.post("/account/password")
@signed_in
@account_form(
    "password", renamed={"password": "new_password"}, placed={WRONG_PASSWORD: "current_password"}
)
def change_password(actor: Actor) -> Response:
    current_password, new_password = fields("current_password", "new_password")
    services().login.change_password(
        ChangePassword(
            user_id=actor.user_id,
            session_id=actor.session_id,
            current_password=current_password,
            new_password=new_password,
            client_ip=client_ip(),
        )
    )
    return done("password")


@bp.post("/account/sessions/<session_id>/end")
@signed_in
@account_form("sessions")
def end_session(actor: Actor, session_id: str) -> Response:
    services().sessions.end(EndSession(actor, session_id))
    if session_id == actor.session_id:  # this browser's own: signed out, as by /sign-out
        response = see_other("/sign-in")
        browser.end(response)
        return response
    return done("session")


@bp.post("/account/not-me")
@signed_in
def account_not_me(actor: Actor) -> Response:
    """The "This wasn't me" button beside a sign-in: what the notice's link does, for the signed-in
    person; this browser is signed out with the rest."""
    mailed = services().email.not_me(NotMe(actor=actor, client_ip=client_ip()))
    response = page("not_me_done.html", mailed=mailed)
    browser.end(response)
    return response


@bp.post("/account/apps/revoke")
@signed_in
@account_form("apps")
def revoke_app(actor: Actor) -> Response:
    services().oauth.revoke_app(RevokeApp(actor, field("client_id")))
    return done("app")


@bp.post("/account/sessions/end-others")
@signed_in
@account_form("sessions")
def end_other_sessions(actor: Actor) -> Response:
    services().sessions.end_others(EndOtherSessions(actor))
    return done("sessions")


@bp.post("/account/totp")
@signed_in
@account_form("totp-start", placed={WRONG_PASSWORD: "password"})
def start_totp(actor: Actor) -> Response:
    enrolment = services().totp.start(_mfa(actor, password=field("password")))
    qr = qr_svg(
        enrolment.otpauth_uri,
        title=gettext("QR code for your authenticator app"),
        light="#fff",
    )
    # Shown in this answer only: the page never shows the secret again.
    return account_page(actor, enrolment=enrolment, qr_svg=qr)


@bp.post("/account/totp/confirm")
@signed_in
@account_form("totp-confirm", placed={WRONG_CODE: "code"})
def confirm_totp(actor: Actor) -> Response:
    codes = services().totp.confirm(_mfa(actor, code=field("code").strip()))
    return account_page(actor, recovery_codes=codes, done="totp-on")


@bp.post("/account/totp/disable")
@signed_in
@account_form("totp-disable", placed={WRONG_PASSWORD: "password", WRONG_CODE: "code"})
def disable_totp(actor: Actor) -> Response:
    password = field("password")
    services().totp.disable(_mfa(actor, password=password, code=field("code").strip()))
    return done("totp-off")


@bp.post("/account/totp/recovery-codes")
@signed_in
@account_form("recovery-codes", placed={WRONG_PASSWORD: "password", WRONG_CODE: "code"})
def new_recovery_codes(actor: Actor) -> Response:
    password = field("password")
    codes = services().totp.new_recovery_codes(
        _mfa(actor, password=password, code=field("code").strip())
    )
    return account_page(actor, recovery_codes=codes, done="recovery-codes")


@bp.post("/account/language")
@signed_in
@account_form("language")
def set_language(actor: Actor) -> Response:
    locale = field("locale", required=False) or None  # none: the browser's
    services().accounts.update_profile(UpdateProfile(actor.user_id, (("locale", locale),)))
    return done("language")


@bp.post("/account/delete")
@signed_in
@account_form("delete", placed={WRONG_PASSWORD: "password"})
def delete_account(actor: Actor) -> Response:
    password = field("password")
    services().accounts.delete(DeleteUser(actor, password=password, client_ip=client_ip()))
    response = see_other("/sign-in?deleted=1")
    browser.end(response)
    return response
