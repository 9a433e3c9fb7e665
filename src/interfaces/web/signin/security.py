"""Sign-in's sections of the account area (docs/pages.md, "The account area"): Sign-in and
security (the password, two-step sign-in; the passkeys' forms are in passkeys.py, the
connected accounts' in interfaces/web/federation/connected.py) and Devices and sessions. The
web adapter's composition hands them to the area (interfaces/web/accounts/account.py)."""

from __future__ import annotations

from flask import Response, request
from flask_babel import gettext

from application.signin.authentication import Actor
from application.signin.factors.totp import GetTotp, MfaCommand
from application.signin.login import ChangePassword
from application.signin.services import SigninServices
from application.signin.sessions import EndOtherSessions, EndSession, ListSessions
from interfaces.shared.limits import client_ip
from interfaces.shared.qr import qr_svg
from interfaces.shared.services import services
from interfaces.web import browser
from interfaces.web.accounts.account import (
    WRONG_PASSWORD,
    Section,
    account_form,
    done,
    header,
    section_page,
    signed_in,
)
from interfaces.web.forms import field
from interfaces.web.rendering import bp, see_other

WRONG_CODE = "invalid_mfa_code"


def _security(actor: Actor) -> dict[str, object]:
    return {
        **header(actor),
        "totp": services().of(SigninServices).totp.status(GetTotp(actor)),
        "passkeys_here": browser.passkeys_here(),
    }


def _devices(actor: Actor) -> dict[str, object]:
    return {
        **header(actor),
        "sessions": services().of(SigninServices).sessions.list(ListSessions(actor)),
        "current_session": actor.session_id,
    }


SECURITY = Section("/account/security", "accounts/account_security.html", _security, True)
DEVICES = Section("/account/devices", "accounts/account_devices.html", _devices)


def _mfa(actor: Actor, *, code: str = "") -> MfaCommand:
    # An account without a password has no such field: a recent sign-in stands in for it
    # (TotpFactors); the field, where there is one, is required (left empty, said beside it).
    password = field("password", required="password" in request.form)
    return MfaCommand.of(actor, password=password, code=code, client_ip=client_ip())


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
    services().of(SigninServices).login.change_password(
        ChangePassword.of(actor, current_password, new_password, client_ip())
    )
    return done("password", SECURITY)


@bp.post("/account/sessions/<session_id>/end")
@signed_in
@account_form("sessions", DEVICES)
def end_session(actor: Actor, session_id: str) -> Response:
    services().of(SigninServices).sessions.end(EndSession(actor, session_id))
    if session_id == actor.session_id:  # this browser's own: signed out, as by /sign-out
        response = see_other("/sign-in")
        browser.end(response)
        return response
    return done("session", DEVICES)


@bp.post("/account/sessions/end-others")
@signed_in
@account_form("sessions", DEVICES)
def end_other_sessions(actor: Actor) -> Response:
    services().of(SigninServices).sessions.end_others(EndOtherSessions(actor))
    return done("sessions", DEVICES)


@bp.post("/account/totp")
@signed_in
@account_form("totp-start", SECURITY, placed={WRONG_PASSWORD: "password"})
def start_totp(actor: Actor) -> Response:
    enrolment = services().of(SigninServices).totp.start(_mfa(actor))
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
    codes = services().of(SigninServices).totp.confirm(_mfa(actor, code=field("code").strip()))
    return section_page(actor, SECURITY, recovery_codes=codes, done="totp-on")


@bp.post("/account/totp/disable")
@signed_in
@account_form("totp-disable", SECURITY, placed={WRONG_PASSWORD: "password", WRONG_CODE: "code"})
def disable_totp(actor: Actor) -> Response:
    services().of(SigninServices).totp.disable(_mfa(actor, code=field("code").strip()))
    return done("totp-off", SECURITY)


@bp.post("/account/totp/recovery-codes")
@signed_in
@account_form("recovery-codes", SECURITY, placed={WRONG_PASSWORD: "password", WRONG_CODE: "code"})
def new_recovery_codes(actor: Actor) -> Response:
    codes = (
        services()
        .of(SigninServices)
        .totp.new_recovery_codes(_mfa(actor, code=field("code").strip()))
    )
    return section_page(actor, SECURITY, recovery_codes=codes, done="recovery-codes")
