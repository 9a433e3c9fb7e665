"""docs/reference/accounts.md: log in with a password, and change the password, on a
blueprint of their own (their endpoints, and so their request limits' counters, are
``login.login`` and ``login.change_password``)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from application.signin.authentication import Actor
from application.signin.login import ChangePassword, Login
from application.signin.services import SigninServices
from application.signin.tokens import TokenPair
from interfaces.http.auth import session_authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import FORM_TYPES, parse_form, parse_json
from interfaces.http.responses import json_response, no_content
from interfaces.http.routes.accounts.accounts import TAGS
from interfaces.http.schemas.accounts.accounts import (
    ChangePasswordRequest,
    LoginForm,
    LoginOut,
    LoginRequest,
    TokenOut,
)
from interfaces.http.schemas.common import Problem
from interfaces.http.schemas.signin.mfa import LoginProblem
from interfaces.shared.services import services

DEVICE_HEADER, DEVICE_COOKIE = "Device-Token", "firegate_device"
DEVICE_COOKIE_MAX_AGE = 180 * 24 * 3600  # as long as the token itself is valid

bp = Blueprint("login", __name__)  # POST /login, PUT /user/password


def token_out(pair: TokenPair) -> TokenOut:
    return TokenOut.model_validate(pair, from_attributes=True)


@bp.post("/login")
@doc(
    json=LoginRequest,
    form=LoginForm,
    responses={200: LoginOut, 401: LoginProblem, 403: Problem, 429: Problem},
    tags=TAGS,
)
def login() -> Response:
    """Log in with a username or e-mail and a password (JSON, or an OAuth2 password grant).

    The answer carries a device token; sent back with later logins (header `Device-Token`,
    or the httpOnly cookie browsers keep), it keeps the account-wide block that failed logins
    from elsewhere can cause from stopping this client. With two-step login on, the right
    password answers 401 `mfa_required` with an `mfa_token` for POST /login/mfa. When a
    signal fires (docs/security.md), 401 `challenge_required` with `provider` and `site_key`
    until `challenge_token` carries a passed challenge."""
    body = read_login()
    return log_in(body.username, body.password, body.challenge_token or "")


def read_login(*, any_casing: bool = False) -> LoginRequest:
    """The login body: JSON, or form-encoded like an OAuth2 password grant."""
    if request.mimetype in FORM_TYPES:
        return parse_form(LoginForm, any_casing=any_casing)
    return parse_json(LoginRequest, any_casing=any_casing)


def log_in(login: str, password: str, challenge_token: str = "") -> Response:
    """The token response of a login with ``login`` (a username or an address), and the
    device token's cookie, for the path logged in at."""
    pair = (
        services()
        .of(SigninServices)
        .login.login(
            Login(
                login=login,
                password=password,
                user_agent=request.user_agent.string[:256],
                client_ip=request.remote_addr or "",  # after ProxyFix: the trusted hop's view
                device_token=presented_device_token(),
                challenge_token=challenge_token,
            )
        )
    )
    return login_response(pair, cookie_path=request.path)


def presented_device_token() -> str:
    """The device token a sign-in sent: the header, else the cookie."""
    return request.headers.get(DEVICE_HEADER) or request.cookies.get(DEVICE_COOKIE, "")


def login_response(pair: TokenPair, *, cookie_path: str) -> Response:
    """The token response of a login, with the device token (if any) also as a cookie that
    is sent to ``cookie_path`` and below only: it is no credential elsewhere."""
    if not pair.device_token:
        return json_response(token_out(pair))
    response = json_response(LoginOut.model_validate(pair, from_attributes=True))
    response.set_cookie(
        DEVICE_COOKIE,
        pair.device_token,
        max_age=DEVICE_COOKIE_MAX_AGE,
        path=cookie_path,
        secure=request.is_secure,
        httponly=True,
        samesite="Strict",
    )
    return response


@bp.put("/user/password")
@doc(
    json=ChangePasswordRequest,
    responses={204: None, 403: Problem, 409: Problem, 429: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def change_password(actor: Actor) -> Response:
    """Change the password; every other session ends. Without ``current_password``: an
    account's first password (it has none), from a recent sign-in. A guest's comes with its
    upgrade: 403 ``guest_upgrade_required``."""
    body = parse_json(ChangePasswordRequest)
    services().of(SigninServices).login.change_password(
        ChangePassword.of(
            actor,
            body.current_password or "",
            body.new_password,
            request.remote_addr or "",  # after ProxyFix: the trusted hop's view
        )
    )
    return no_content()
