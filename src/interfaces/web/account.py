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

from application.identity.authentication import Actor
from interfaces.shared.qr import qr_svg
from interfaces.web import browser, calls, translated
from interfaces.web.routes import bp, field, fields, form_page, page, see_other

TEMPLATE = "account.html"
WRONG_PASSWORD = "invalid_current_password"
WRONG_CODE = "invalid_mfa_code"

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
        "user": calls.current_user(actor),
        "sessions": calls.sessions(actor),
        "events": calls.recent_events(actor),
        "apps": calls.apps_with_access(actor),
        "current_session": actor.session_id,
        "totp": calls.totp_status(actor),
        "passkeys_here": browser.passkeys_here(),
    }


def account_form(
    actor: Actor,
    form_id: str,
    *,
    renamed: Mapping[str, str] | None = None,
    placed: Mapping[str, str] | None = None,
    **shown: object,
) -> None:
    """A refused ``form_id`` re-renders the account page with its messages (and ``shown``)."""
    form_page(
        TEMPLATE,
        form_id=form_id,
        renamed=renamed,
        placed=placed,
        read=lambda: context(actor),
        **shown,
    )


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
def save_profile(actor: Actor) -> Response:
    account_form(actor, "profile")
    user = calls.current_user(actor)
    changes: list[tuple[str, str | None]] = [("username", field("username"))]
    email = field("email", required=user.email is not None)
    if email:  # an account without an address may keep having none
        changes.append(("email", email))
    changes += [(name, field(name, required=False) or None) for name in ("name", "last_name")]
    calls.update_profile(actor, changes)
    return done("profile")


@bp.post("/account/password")
@signed_in
def change_password(actor: Actor) -> Response:
    account_form(
        actor,
        "password",
        renamed={"password": "new_password"},
        placed={WRONG_PASSWORD: "current_password"},
    )
    current_password, new_password = fields("current_password", "new_password")
    calls.change_password(actor, current_password, new_password)
    return done("password")


@bp.post("/account/sessions/<session_id>/end")
@signed_in
def end_session(actor: Actor, session_id: str) -> Response:
    account_form(actor, "sessions")
    calls.end_session(actor, session_id)
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
    response = page("not_me_done.html", mailed=calls.not_me_signed_in(actor))
    browser.end(response)
    return response


@bp.post("/account/apps/revoke")
@signed_in
def revoke_app(actor: Actor) -> Response:
    account_form(actor, "apps")
    calls.revoke_app(actor, field("client_id"))
    return done("app")


@bp.post("/account/sessions/end-others")
@signed_in
def end_other_sessions(actor: Actor) -> Response:
    account_form(actor, "sessions")
    calls.end_other_sessions(actor)
    return done("sessions")


@bp.post("/account/totp")
@signed_in
def start_totp(actor: Actor) -> Response:
    account_form(actor, "totp-start", placed={WRONG_PASSWORD: "password"})
    enrolment = calls.start_totp(actor, field("password"))
    qr = qr_svg(
        enrolment.otpauth_uri,
        title=gettext("QR code for your authenticator app"),
        light="#fff",
    )
    # Shown in this answer only: the page never shows the secret again.
    return account_page(actor, enrolment=enrolment, qr_svg=qr)


@bp.post("/account/totp/confirm")
@signed_in
def confirm_totp(actor: Actor) -> Response:
    account_form(actor, "totp-confirm", placed={WRONG_CODE: "code"})
    codes = calls.confirm_totp(actor, field("code").strip())
    return account_page(actor, recovery_codes=codes, done="totp-on")


@bp.post("/account/totp/disable")
@signed_in
def disable_totp(actor: Actor) -> Response:
    account_form(actor, "totp-disable", placed={WRONG_PASSWORD: "password", WRONG_CODE: "code"})
    password = field("password")
    calls.disable_totp(actor, password, field("code").strip())
    return done("totp-off")


@bp.post("/account/totp/recovery-codes")
@signed_in
def new_recovery_codes(actor: Actor) -> Response:
    account_form(actor, "recovery-codes", placed={WRONG_PASSWORD: "password", WRONG_CODE: "code"})
    password = field("password")
    codes = calls.new_recovery_codes(actor, password, field("code").strip())
    return account_page(actor, recovery_codes=codes, done="recovery-codes")


@bp.post("/account/language")
@signed_in
def set_language(actor: Actor) -> Response:
    account_form(actor, "language")
    locale = field("locale", required=False)
    calls.update_profile(actor, [("locale", locale or None)])  # none: the browser's
    return done("language")


@bp.post("/account/delete")
@signed_in
def delete_account(actor: Actor) -> Response:
    account_form(actor, "delete", placed={WRONG_PASSWORD: "password"})
    calls.delete_account(actor, field("password"))
    response = see_other("/sign-in?deleted=1")
    browser.end(response)
    return response
