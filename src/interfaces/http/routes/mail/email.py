"""The mail flows: verify an address, recover a password, invite a user.

See docs/reference/email.md. Mail goes out from a background job, so these answers never
wait on, nor depend on, the mail server.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from application.mail.flows import RequestVerification, VerifyEmail
from application.mail.invitations import Invite
from application.mail.password_reset import ForgotPassword, ResetPassword
from application.mail.services import MailServices
from application.signin.authentication import Actor
from interfaces.http.auth import authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json
from interfaces.http.responses import json_response, no_content
from interfaces.http.routes.accounts.accounts import own_out
from interfaces.http.schemas.accounts.accounts import UserOut
from interfaces.http.schemas.common import Problem
from interfaces.http.schemas.mail.email import (
    Accepted,
    ForgotPasswordRequest,
    InvitationRequest,
    ResetPasswordRequest,
    VerifyEmailRequest,
)
from interfaces.shared.after_response import after_response
from interfaces.shared.services import services

bp = Blueprint("email", __name__)
TAGS = ("email",)


def _client_ip() -> str:
    return request.remote_addr or ""  # after ProxyFix: the trusted hop's view


@bp.post("/auth/email/verification")
@doc(responses={202: Accepted, 401: Problem, 409: Problem}, auth=True, tags=TAGS)
@authenticated
def request_verification(actor: Actor) -> Response:
    """Send (again) a verification mail to the account's current address."""
    services().of(MailServices).verification.request_verification(RequestVerification(actor))
    return json_response(Accepted(), 202)


@bp.post("/auth/email/verify")
@doc(json=VerifyEmailRequest, responses={200: UserOut, 400: Problem, 429: Problem}, tags=TAGS)
def verify_email() -> Response:
    """Mark the address verified with the token of a verification mail (once)."""
    body = parse_json(VerifyEmailRequest)
    verified = (
        services().of(MailServices).verification.verify(VerifyEmail(body.token, _client_ip()))
    )
    return json_response(own_out(verified.user))


@bp.post("/auth/password/forgot")
@doc(json=ForgotPasswordRequest, responses={202: Accepted, 429: Problem}, tags=TAGS)
def forgot_password() -> Response:
    """Mail a reset link if an account has this address; the answer is the same either way."""
    body = parse_json(ForgotPasswordRequest)
    forgot, cmd = (
        services().of(MailServices).password_reset.forgot_password,
        ForgotPassword(body.email, _client_ip()),
    )
    # Queued once the answer is sent: no work for either kind of address can delay it.
    after_response(lambda: forgot(cmd))
    return json_response(Accepted(), 202)


@bp.post("/auth/password/reset")
@doc(
    json=ResetPasswordRequest,
    responses={204: None, 400: Problem, 422: Problem, 429: Problem},
    tags=TAGS,
)
def reset_password() -> Response:
    """Set a new password with a reset (or invitation) token; every session ends and the
    account's passkeys are removed. An account whose address was not verified also loses
    its two-step login and its Firebase links: the reset proves the address."""
    body = parse_json(ResetPasswordRequest)
    services().of(MailServices).password_reset.reset_password(
        ResetPassword(token=body.token, new_password=body.new_password, client_ip=_client_ip())
    )
    return no_content()


@bp.post("/users/invitations")
@doc(
    json=InvitationRequest,
    responses={201: UserOut, 403: Problem, 409: Problem},
    auth=True,
    tags=TAGS,
)
@authenticated
def invite(actor: Actor) -> Response:
    """Admins: create an account without a password and mail its owner a set-password link."""
    body = parse_json(InvitationRequest)
    user = services().of(MailServices).invitations.invite(Invite(actor=actor, **body.model_dump()))
    return json_response(own_out(user), 201, {"Location": f"/users/{user.id}"})
