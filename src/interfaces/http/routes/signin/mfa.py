"""docs/reference/mfa.md: the second factor — TOTP enrolment, recovery codes, and the
second step of a login."""

from __future__ import annotations

from flask import Blueprint, Response, request

from application.signin.authentication import Actor
from application.signin.factors.totp import MfaCommand
from application.signin.mfa import MfaLogin
from application.signin.services import SigninServices
from domain.errors import InvalidInput
from interfaces.http.auth import session_authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json
from interfaces.http.responses import json_response, no_content
from interfaces.http.routes.signin.login import login_response
from interfaces.http.schemas.common import Problem
from interfaces.http.schemas.signin.mfa import (
    CodeRequest,
    MfaLoginOut,
    MfaLoginRequest,
    PasswordAndCodeRequest,
    PasswordRequest,
    RecoveryCodesOut,
    TotpEnrolmentOut,
)
from interfaces.shared.services import services

bp = Blueprint("mfa", __name__)
TAGS = ("mfa",)


def client_ip() -> str:
    return request.remote_addr or ""  # after ProxyFix: the trusted hop's view


def command(actor: Actor, *, password: str = "", code: str = "") -> MfaCommand:
    return MfaCommand.of(actor, password=password, code=code, client_ip=client_ip())


@bp.post("/auth/mfa/totp")
@doc(
    json=PasswordRequest,
    responses={200: TotpEnrolmentOut, 403: Problem, 409: Problem, 429: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def start_totp(actor: Actor) -> Response:
    """Start TOTP enrolment behind the password (an account without one: a recent sign-in):
    a secret for the authenticator app. It is not active until POST /auth/mfa/totp/confirm;
    starting again replaces it."""
    body = parse_json(PasswordRequest)
    enrolment = (
        services().of(SigninServices).totp.start(command(actor, password=body.password or ""))
    )
    return json_response(TotpEnrolmentOut.of(enrolment))


@bp.post("/auth/mfa/totp/confirm")
@doc(
    json=CodeRequest,
    responses={200: RecoveryCodesOut, 403: Problem, 409: Problem, 429: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def confirm_totp(actor: Actor) -> Response:
    """Turn TOTP on with a first code: ten recovery codes, shown this once. Every other
    session of the account ends."""
    body = parse_json(CodeRequest)
    codes = services().of(SigninServices).totp.confirm(command(actor, code=body.code))
    return json_response(RecoveryCodesOut(recovery_codes=list(codes)))


@bp.delete("/auth/mfa/totp")
@doc(
    json=PasswordAndCodeRequest,
    responses={204: None, 403: Problem, 409: Problem, 429: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def disable_totp(actor: Actor) -> Response:
    """Turn TOTP off with the password and a code (or a recovery code). Every other session
    of the account ends."""
    body = parse_json(PasswordAndCodeRequest)
    services().of(SigninServices).totp.disable(
        command(actor, password=body.password or "", code=body.code)
    )
    return no_content()


@bp.post("/auth/mfa/recovery-codes")
@doc(
    json=PasswordAndCodeRequest,
    responses={200: RecoveryCodesOut, 403: Problem, 409: Problem, 429: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def new_recovery_codes(actor: Actor) -> Response:
    """A new set of ten recovery codes, behind the password and a code; the old set is void."""
    body = parse_json(PasswordAndCodeRequest)
    codes = (
        services()
        .of(SigninServices)
        .totp.new_recovery_codes(command(actor, password=body.password or "", code=body.code))
    )
    return json_response(RecoveryCodesOut(recovery_codes=list(codes)))


@bp.post("/login/mfa")
@doc(
    json=MfaLoginRequest,
    responses={200: MfaLoginOut, 401: Problem, 403: Problem, 429: Problem},
    tags=TAGS,
)
def finish_login() -> Response:
    """The second step of a login: the `mfa_token` of the 401 `mfa_required` answer and a
    `code` from the authenticator app or a `recovery_code`, for the token pair."""
    body = parse_json(MfaLoginRequest)
    if (body.code is None) == (body.recovery_code is None):
        raise InvalidInput.field(
            "code", "Send exactly one of code and recovery_code.", "code_or_recovery_code"
        )
    pair = (
        services()
        .of(SigninServices)
        .login.finish_mfa(
            MfaLogin(
                mfa_token=body.mfa_token,
                code=body.code,
                recovery_code=body.recovery_code,
                user_agent=request.user_agent.string[:256],
                client_ip=client_ip(),
            )
        )
    )
    # The device token's cookie goes where password logins are sent.
    return login_response(pair, cookie_path="/login")
