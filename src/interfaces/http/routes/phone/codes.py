"""Sign-in by a code sent by text message (docs/sign-in-with-a-phone-number.md): ask for a
code for a number, then trade it for a token pair. 404 ``phone_disabled`` unless
PHONE_SIGN_IN and a send_sms hook are set."""

from __future__ import annotations

from flask import Blueprint, Response, request

from application.phone.codes import PhoneCodes, RequestPhoneCode
from application.signin.codes.flow import VerifyCode
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json
from interfaces.http.responses import json_response
from interfaces.http.routes.phone.schemas import PhoneCodeRequest, VerifyPhoneCodeRequest
from interfaces.http.routes.signin.guest import signed_in_guest
from interfaces.http.routes.signin.login import token_out
from interfaces.http.schemas.accounts.accounts import TokenOut
from interfaces.http.schemas.common import Problem
from interfaces.http.schemas.signin.email_code import EmailCodeOut
from interfaces.http.schemas.signin.mfa import LoginProblem
from interfaces.shared.languages import accepted_locale
from interfaces.shared.services import services

bp = Blueprint("phone_code", __name__)
# The answers of each route, for the OpenAPI document (the flow's are the e-mail code's)
ASKED = {202: EmailCodeOut, 401: Problem, 404: Problem, 422: Problem, 429: Problem}
VERIFIED = {
    200: TokenOut,
    400: Problem,
    401: LoginProblem,
    403: Problem,
    404: Problem,
    429: Problem,
}


@bp.post("/auth/phone-code")
@doc(json=PhoneCodeRequest, responses=ASKED, tags=("phone",))
def request_phone_code() -> Response:
    """Text a 6-digit code to the number: 202 with the flow's id, whether an account has the
    number or not. 422 `invalid_phone_number` or `phone_number_type`; per number one request
    each 30 seconds, five an hour (429 `phone_code_rate_limited`); past what texts may cost,
    429 `sms_budget` and nothing sent; both with Retry-After. Asked with a guest's bearer
    token, the code upgrades that guest in place (docs/guests.md). With an app's
    `code_challenge` (S256), the text carries a link to the app, which redeems it at `POST
    /auth/email-code/redeem` (docs/reference/app-links.md)."""
    body = parse_json(PhoneCodeRequest)
    codes = services().of(PhoneCodes)
    started = codes.request(
        RequestPhoneCode(
            phone_number=body.phone_number,
            client_ip=request.remote_addr or "",
            locale=accepted_locale(),
            challenge_token=body.challenge_token or "",
            guest_id=signed_in_guest(),
            code_challenge=body.code_challenge,
        )
    )
    answer = EmailCodeOut(flow_id=started.flow_id, expires_in=started.expires_in)
    return json_response(answer, 202)


@bp.post("/auth/phone-code/verify")
@doc(json=VerifyPhoneCodeRequest, responses=VERIFIED, tags=("phone",))
def verify_phone_code() -> Response:
    """Trade the texted code for a token pair (its access token's `amr` is `["sms"]`), once;
    a number without an account gets one where sign-up is open. 400 `invalid_phone_code`
    (wrong; five end the flow) or `invalid_phone_flow` (spent, replaced, expired); 401
    `mfa_required`; 403 `sso_required`."""
    body = parse_json(VerifyPhoneCodeRequest)
    verify = VerifyCode(
        flow_id=body.flow_id,
        code=body.code,
        user_agent=request.user_agent.string[:256],
        client_ip=request.remote_addr or "",
    )
    return json_response(token_out(services().of(PhoneCodes).verify(verify)))
