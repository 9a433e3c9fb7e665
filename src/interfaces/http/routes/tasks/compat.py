"""Compatibility: the routes of the FastAPI tasks API that firegate has no native twin of
(docs/migrating.md). Its /tasks and GET /users are the native routes themselves."""

from __future__ import annotations

from flask import Blueprint, Response
from pydantic import field_validator

from application.accounts.services import AccountServices
from application.accounts.signups import Register
from interfaces.http.compat import TAGS
from interfaces.http.openapi import doc, documented_like
from interfaces.http.parsing import parse_json
from interfaces.http.responses import json_response
from interfaces.http.routes.signin import login as native
from interfaces.http.routes.signin.login import log_in, read_login
from interfaces.http.schemas.accounts.accounts import ChallengeToken, Password, Username
from interfaces.http.schemas.accounts.users import UserPublicOut
from interfaces.http.schemas.common import Problem, Strict, no_null
from interfaces.shared.limits import client_ip
from interfaces.shared.services import services

bp = Blueprint("tasks_api", __name__)


class TasksApiSignUp(Strict):
    """An account without an e-mail address."""

    username: str = Username
    password: str = Password
    challenge_token: str | None = ChallengeToken

    _not_null = field_validator("challenge_token", mode="before")(no_null)


@bp.post("/users")
@doc(
    json=TasksApiSignUp,
    responses={201: UserPublicOut, 401: Problem, 403: Problem, 409: Problem, 429: Problem},
    tags=TAGS,
)
def create_user() -> Response:
    """Tasks API: create an account without an e-mail address (native: POST /register).

    Same rules and limits as POST /register (401 `challenge_required` from a client address
    that signs up often, until `challenge_token` carries a passed challenge). The account has
    no address, so the mail flows (verification, password recovery) are not open to it until
    it adds one with PATCH /user.
    """
    body = parse_json(TasksApiSignUp, any_casing=True)
    user = (
        services()
        .of(AccountServices)
        .accounts.register(
            Register(
                username=body.username,
                email=None,
                password=body.password,
                challenge_token=body.challenge_token or "",
                client_ip=client_ip(),
            )
        )
    )
    out = UserPublicOut(id=user.id, username=user.shown_name)
    return json_response(out, 201, {"Location": f"/users/{user.id}"})


@bp.post("/auth/login")
@documented_like(native.login, tags=TAGS)
def login() -> Response:
    """Tasks API: log in, JSON or an OAuth2 password form (native: POST /login)."""
    body = read_login(any_casing=True)
    return log_in(body.username, body.password, body.challenge_token or "")
