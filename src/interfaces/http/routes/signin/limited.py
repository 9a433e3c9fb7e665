"""Signin's part of the JSON API's shell: whom a request of its limited routes counts against
(docs/security.md): a refresh against the session its token proves, a signed-in request
against its account, anything else against its address; and the keys that verify its access
tokens, which the shell serves at the JWKS. The signin unit's record lends both
(``API_LIMITED_BY``, ``API_PUBLIC_KEYS``); the app shell counts the limits
(interfaces/shared/limits.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import request

from application.json_text import UnreadableJson, read_json
from application.signin.authentication import Actor, Authenticate
from application.signin.services import SigninServices
from application.signin.sessions import Refresh
from application.signin.tokens import TokenPair
from interfaces.shared.acting import Presented
from interfaces.shared.limits import Identify, Route
from interfaces.shared.services import services


def _bearer() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _json_body() -> object:
    """The body as the route will read it (depth bounded: Python's own parser recurses), or
    None for a body that is no JSON the route would take: the route then refuses it."""
    if not request.is_json:
        return None
    try:
        return read_json(request.get_data(cache=True).decode("utf-8"))
    except (UnreadableJson, UnicodeDecodeError):
        return None


def refreshed_session() -> str | None:
    """The session a refresh token proves by its tag (no read): a BFF refreshing for many
    people from one address counts each of their sessions apart. The token as the native
    route takes it, or as the compatibility route does (the body in any casing, or the
    bearer credential)."""
    body = _json_body()
    found = body.get("refresh_token", body.get("refreshToken")) if isinstance(body, dict) else None
    token = found if isinstance(found, str) else _bearer()
    session = services().of(SigninServices).sessions.refreshing(Refresh(token)) if token else None
    return f"session:{session}" if session is not None else None


def signed_in_account() -> str | None:
    """The account of a session's access token, by its signature (no read)."""
    token = _bearer()
    account = services().of(SigninServices).authentication.account_of(token) if token else None
    return f"account:{account}" if account is not None else None


# The limited routes whose requests count against whom they authenticate.
LIMITED_BY: tuple[tuple[Route, Identify], ...] = (
    (("POST", "/auth/refresh"), refreshed_session),
    (("POST", "/auth/firebase/custom-token"), signed_in_account),
    (("POST", "/auth/org"), signed_in_account),
)


def public_keys() -> Sequence[dict[str, Any]]:
    """The keys that verify the API's access tokens (none with a shared HS256 secret)."""
    own = services().of(SigninServices).authentication.jwks()["keys"]
    return list(own) if isinstance(own, list) else []


# -- what sign-in fills of the kernel's request slots (interfaces/shared/acting.py;
# docs/decisions/0806-the-requests-caller-is-a-slot-signin-fills.md)


def authenticate(presented: Presented) -> Actor:
    """``AUTHENTICATE``: the ``Actor`` the credentials ``presented`` name, through sign-in's
    ``Authentication`` and every check it makes (the token, the session, the guards the
    units lend, the active org); ``Unauthenticated`` for none."""
    command = Authenticate(
        presented.access_token,
        with_factor=presented.with_factor,
        personal_method=presented.personal_method,
        route=presented.route,
    )
    return services().of(SigninServices).authentication.authenticate(command)


def renew(refresh_token: str) -> TokenPair:
    """``RENEW_SESSION``: the session's rotated tokens for ``refresh_token``
    (``Unauthenticated`` for none)."""
    return services().of(SigninServices).sessions.refresh(Refresh(refresh_token))
