"""docs/reference/providers.md: POST /auth/identities/{provider}/token, a native app's sign-in
with the ID token it got from an upstream provider's own SDK."""

from __future__ import annotations

from flask import Blueprint, Response, request

from application.federation.services import FederationServices
from application.federation.upstream import NativeSignIn
from interfaces.http.auth import bearer_account
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json
from interfaces.http.routes.signin.login import login_response, presented_device_token
from interfaces.http.schemas.accounts.accounts import LoginOut
from interfaces.http.schemas.common import Problem
from interfaces.http.schemas.federation.upstream import NativeTokenRequest
from interfaces.http.schemas.signin.mfa import LoginProblem
from interfaces.shared.limits import client_ip
from interfaces.shared.services import services

bp = Blueprint("upstream_api", __name__)
TAGS = ("accounts",)  # next to /login and /auth/firebase, the other ways in


@bp.post("/auth/identities/<provider>/token")
@doc(
    json=NativeTokenRequest,
    responses={
        200: LoginOut,
        401: LoginProblem,
        403: Problem,
        404: Problem,
        409: Problem,
        422: Problem,
        429: Problem,
    },
    tags=TAGS,
)
def native_token(provider: str) -> Response:
    """Exchange an upstream provider's ID token (from its own SDK, for the provider's client
    id, with the app's nonce) for a token pair, by the rules of the pages' sign-in.

    Like `/login`, the answer carries a device token (send it back in `Device-Token`).
    401 `upstream_refused` (signature, issuer, audience, expiry or nonce wrong), `mfa_required`
    as `/login`; 403 `account_disabled`; 404 `provider_not_found`; 409 `sign_in_to_link` (an
    account holds the address: sign in to it and connect the provider).

    With a guest's bearer token, the guest becomes the account the identity signs up (the
    same id; its session goes on): 409 `account_exists` when the identity or its address is
    another account's, 409 `not_a_guest` for an account that signed up already.
    """
    body = parse_json(NativeTokenRequest)
    pair = (
        services()
        .of(FederationServices)
        .upstream.native(
            NativeSignIn(
                provider_id=provider,
                id_token=body.id_token,
                nonce=body.nonce,
                user_agent=request.user_agent.string[:256],
                client_ip=client_ip(),
                device_token=presented_device_token(),
                guest_id=bearer_account(),
            )
        )
    )
    return login_response(pair, cookie_path=request.path)
