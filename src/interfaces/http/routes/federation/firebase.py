"""docs/reference/firebase.md: POST /auth/firebase (a Firebase ID token in, a firegate token
pair out) and POST /auth/firebase/custom-token (a firegate access token in, a Firebase custom
token out)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from application.federation.firebase import AgentCustomToken, CustomToken, FirebaseSignIn
from application.federation.services import FederationServices
from application.signin.authentication import Actor
from interfaces.http.auth import bearer_account
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json
from interfaces.http.responses import json_response
from interfaces.http.routes.federation.provider_tokens import (
    ProviderToken,
    session_or_app_with_factor,
)
from interfaces.http.schemas.accounts.accounts import TokenOut
from interfaces.http.schemas.common import Problem
from interfaces.http.schemas.federation.firebase import CustomTokenOut, FirebaseExchangeRequest
from interfaces.http.schemas.signin.mfa import LoginProblem
from interfaces.shared.limits import client_ip
from interfaces.shared.services import services

bp = Blueprint("firebase", __name__)
TAGS = ("accounts",)  # next to /login, the other way in


@bp.post("/auth/firebase")
@doc(
    json=FirebaseExchangeRequest,
    responses={200: TokenOut, 401: LoginProblem, 403: Problem, 409: Problem, 429: Problem},
    tags=TAGS,
)
def exchange() -> Response:
    """Exchange a Firebase ID token for a token pair; the account is created on first use.

    401 `invalid_id_token`, `id_token_expired`, `id_token_revoked`; 403
    `firebase_user_disabled`, `account_disabled`, `email_not_verified` (first use needs a
    verified e-mail), `signup_not_allowed` or `signup_denied` where the account would be
    made and may not; 401 `challenge_required` when it would be made from a client address
    that signs up often, until `challenge_token` carries a passed challenge; 409
    `email_taken` (the address belongs to another account).

    With a guest's bearer token, the guest becomes the account the Firebase user signs up
    (the same id; its session goes on) and the answer is a session of it: 409
    `account_exists` when the Firebase user or its address is another account's, 409
    `not_a_guest` for an account that signed up already; an anonymous Firebase user leaves
    the guest as it is.
    """
    body = parse_json(FirebaseExchangeRequest)
    pair = (
        services()
        .of(FederationServices)
        .firebase.sign_in(
            FirebaseSignIn(
                id_token=body.id_token,
                user_agent=request.user_agent.string[:256],
                client_ip=client_ip(),
                challenge_token=body.challenge_token or "",
                guest_id=bearer_account(),
            )
        )
    )
    return json_response(TokenOut.model_validate(pair, from_attributes=True))


@bp.post("/auth/firebase/custom-token")
@doc(responses={200: CustomTokenOut, 403: Problem, 429: Problem}, auth=True, tags=TAGS)
@session_or_app_with_factor
def custom_token(caller: Actor | ProviderToken) -> Response:
    """A Firebase custom token for the caller, to sign in to Firebase with
    (`signInWithCustomToken`): uid = the user id, claims `role` and `token_version`. An
    app's or agent's access token of the provider issued for `{PUBLIC_URL}/auth/firebase`
    gets one for its person, with `act`, `scope` and `grant_id` too.

    No body. 403 `account_disabled`; 403 `mfa_setup_required` when the session's active org
    requires a second factor the account has not set up; 403 `agent_token_not_for_firebase`
    for an app's token issued for another resource (or DPoP-bound), 403
    `act_chain_too_deep`; 503 when the token cannot be signed (no signer, IAM).
    """
    firebase = services().of(FederationServices).firebase
    if isinstance(caller, ProviderToken):
        token = firebase.agent_custom_token(AgentCustomToken(caller.claims, caller.account))
    else:
        token = firebase.custom_token(CustomToken(caller))
    return json_response(CustomTokenOut(custom_token=token))
