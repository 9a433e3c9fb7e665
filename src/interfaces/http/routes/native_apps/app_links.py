"""An app's redemption of the link of a code flow it asked for with a ``code_challenge``
(docs/reference/app-links.md): the mail's or the text's, at one route."""

from __future__ import annotations

from flask import Blueprint, Response, request

from application.signin.codes.flow import RedeemLink
from application.signin.codes.links import AppLinks
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json
from interfaces.http.responses import json_response
from interfaces.http.routes.native_apps.schemas import RedeemLinkRequest
from interfaces.http.routes.signin.login import token_out
from interfaces.http.schemas.accounts.accounts import TokenOut
from interfaces.http.schemas.common import Problem
from interfaces.http.schemas.signin.mfa import LoginProblem
from interfaces.shared.services import services

bp = Blueprint("app_links", __name__)
REDEEMED = {
    200: TokenOut,
    400: Problem,
    401: LoginProblem,
    403: Problem,
    422: Problem,
    429: Problem,
}


@bp.post("/auth/email-code/redeem")
@doc(json=RedeemLinkRequest, responses=REDEEMED, tags=("email",))
def redeem_link() -> Response:
    """Trade the link of a code flow the app asked for with a `code_challenge` (a mail's or a
    text's, `/app/sign-in?token=…`) and the challenge's `code_verifier` for a token pair,
    once, as the code's verification gives it: 401 `mfa_required`, 403 `sso_required`, an
    account made where sign-up by code is open. 400 `invalid_grant` for a verifier missing or
    not the challenge's, a link spent, expired or replaced, or a flow asked without a
    challenge: no session, nothing spent."""
    body = parse_json(RedeemLinkRequest)
    redeem = RedeemLink(
        token=body.token,
        code_verifier=body.code_verifier or "",
        user_agent=request.user_agent.string[:256],
        client_ip=request.remote_addr or "",
    )
    return json_response(token_out(services().of(AppLinks).redeem(redeem)))
