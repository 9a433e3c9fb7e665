"""Sign-in by a code mailed to an address (docs/reference/email-code.md): ask for a code,
then trade it for a token pair. The answer to the request is the same for every address."""

from __future__ import annotations

from flask import Blueprint, Response, request

from application.signin.codes.email import RequestEmailCode, VerifyEmailCode
from application.signin.services import SigninServices
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json
from interfaces.http.responses import json_response
from interfaces.http.routes.signin.guest import signed_in_guest
from interfaces.http.routes.signin.login import token_out
from interfaces.http.schemas.accounts.accounts import TokenOut
from interfaces.http.schemas.common import Problem
from interfaces.http.schemas.signin.email_code import (
    EmailCodeOut,
    EmailCodeRequest,
    VerifyEmailCodeRequest,
)
from interfaces.http.schemas.signin.mfa import LoginProblem
from interfaces.shared.languages import accepted_locale
from interfaces.shared.services import services

bp = Blueprint("email_code", __name__)
TAGS = ("email",)


@bp.post("/auth/email-code")
@doc(
    json=EmailCodeRequest,
    responses={202: EmailCodeOut, 401: Problem, 404: Problem, 422: Problem, 429: Problem},
    tags=TAGS,
)
def request_code() -> Response:
    """Mail a 6-digit code (and a link) to the address: 202 with the flow's id, whether an
    account has the address or not. One code per address is live; per address one request
    each 30 seconds, five an hour (429 with Retry-After). Codes asked from one client address
    past their budget answer 401 `challenge_required` until `challenge_token` is sent. Asked
    with a guest's bearer token, the code upgrades that guest in place: the address becomes
    its own, verified, keeping its id (docs/guests.md). With an app's `code_challenge` (S256),
    the mail's link opens the app, which redeems it at `POST /auth/email-code/redeem`
    (docs/reference/app-links.md)."""
    body = parse_json(EmailCodeRequest)
    started = (
        services()
        .of(SigninServices)
        .email_codes.request(
            RequestEmailCode(
                email=str(body.email),
                client_ip=request.remote_addr or "",
                locale=accepted_locale(),
                challenge_token=body.challenge_token or "",
                guest_id=signed_in_guest(),
                code_challenge=body.code_challenge,
            )
        )
    )
    return json_response(EmailCodeOut(flow_id=started.flow_id, expires_in=started.expires_in), 202)


@bp.post("/auth/email-code/verify")
@doc(
    json=VerifyEmailCodeRequest,
    responses={200: TokenOut, 401: LoginProblem, 403: Problem, 404: Problem, 429: Problem},
    tags=TAGS,
)
def verify_code() -> Response:
    """Trade the mailed code for a token pair (`amr: ["email"]`), once; an address without an
    account gets one. With two-step login on, 401 `mfa_required` as for a password; 403
    `sso_required` where the account's org signs it in."""
    body = parse_json(VerifyEmailCodeRequest)
    pair = (
        services()
        .of(SigninServices)
        .email_codes.verify(
            VerifyEmailCode(
                flow_id=body.flow_id,
                code=body.code,
                user_agent=request.user_agent.string[:256],
                client_ip=request.remote_addr or "",
            )
        )
    )
    return json_response(token_out(pair))
