"""Compatibility: the Flask/DynamoDB login API's routes on the native use cases
(docs/migrating.md)."""

from __future__ import annotations

from flask import Blueprint, Response, request
from pydantic import Field

from application.signin.services import SigninServices
from application.signin.sessions import Refresh
from domain.errors import InvalidInput, Unauthenticated
from interfaces.http.auth import bearer_token
from interfaces.http.compat import TAGS
from interfaces.http.openapi import REFRESH_BEARER_OR_BODY, doc, documented_like, same_as
from interfaces.http.parsing import parse_json
from interfaces.http.responses import json_response
from interfaces.http.routes.accounts import accounts, users
from interfaces.http.routes.accounts.accounts import sign_up
from interfaces.http.routes.signin import sessions
from interfaces.http.routes.signin.login import log_in, token_out
from interfaces.http.schemas.accounts.accounts import LoginOut, RegisterRequest, TokenOut
from interfaces.http.schemas.common import Problem, Strict, not_null
from interfaces.http.schemas.signin.mfa import LoginProblem
from interfaces.shared.services import services

bp = Blueprint("login_api", __name__, url_prefix="/api/v1")


class EmailLogin(Strict):
    email: str = Field(
        min_length=1,
        max_length=320,
        description="The account's e-mail address (a username is taken too)",
        examples=["alice@example.com"],
    )
    password: str = Field(min_length=1, max_length=1024)


class BearerOrBodyRefresh(Strict):
    """The refresh token here, or as the bearer credential (flask-jwt-extended's way)."""

    refresh_token: str | None = Field(
        default=None, min_length=1, max_length=512, json_schema_extra=not_null
    )


@bp.post("/auth/signup")
@documented_like(accounts.register, tags=TAGS)
def signup() -> Response:
    """Login API: create an account (native: POST /register)."""
    return sign_up(parse_json(RegisterRequest, any_casing=True))


@bp.post("/auth/login")
@doc(
    json=EmailLogin,
    responses={200: LoginOut, 401: LoginProblem, 403: Problem, 429: Problem},
    tags=TAGS,
)
def login() -> Response:
    """Login API: log in with an e-mail address (native: POST /login).

    With two-step login on, the right password answers 401 `mfa_required` with an
    `mfa_token` for POST /login/mfa, as natively."""
    body = parse_json(EmailLogin, any_casing=True)
    return log_in(body.email, body.password)


bp.add_url_rule(
    "/auth/whoami",
    "whoami",
    same_as(
        sessions.whoami,
        summary="Login API: who the access token speaks for (native: GET /auth/whoami).",
        tags=TAGS,
    ),
    methods=["GET", "POST"],
)


@bp.post("/token/refresh")
@doc(
    json=BearerOrBodyRefresh,
    optional_body=True,
    responses={200: TokenOut, 401: Problem, 403: Problem, 429: Problem},
    security=REFRESH_BEARER_OR_BODY,
    tags=TAGS,
)
def refresh() -> Response:
    """Login API: a new token pair for a refresh token (native: POST /auth/refresh).

    The refresh token goes in the body or as the bearer credential
    (``Authorization: Bearer <refresh_token>``), and it is spent: keep the new one. An
    access token is not a refresh token (401).
    """
    body = BearerOrBodyRefresh()
    if request.get_data(cache=True):
        body = parse_json(BearerOrBodyRefresh, any_casing=True)
        if "refresh_token" in body.model_fields_set and body.refresh_token is None:
            raise InvalidInput.field("refresh_token", "May not be null.", "null_not_allowed")
    token = body.refresh_token or _bearer_refresh_token()
    return json_response(token_out(services().of(SigninServices).sessions.refresh(Refresh(token))))


def _bearer_refresh_token() -> str:
    try:
        return bearer_token()
    except Unauthenticated:
        raise Unauthenticated(
            "A refresh token is required, in the body or as the bearer credential.",
            code="missing_token",
        ) from None


bp.add_url_rule(
    "/users/",
    "list_users",
    same_as(
        users.list_users, summary="Login API: users, paginated (native: GET /users).", tags=TAGS
    ),
)
_one_user = same_as(
    users.get_user, summary="Login API: one user (native: GET /users/{user_id}).", tags=TAGS
)
bp.add_url_rule("/users/<user_id:user_id>", "get_user", _one_user)
bp.add_url_rule("/user/<user_id:user_id>", "get_user_singular", _one_user)
