"""The bearer-token decorator: verifies the token through the port and hands over an Actor."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from application.identity.authentication import Authenticate
from domain.errors import Unauthenticated
from interfaces.shared.services import services

F = TypeVar("F", bound=Callable[..., Any])


def bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("A bearer access token is required.", code="missing_token")
    return token


def authenticated(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        actor = services().authentication.authenticate(Authenticate(bearer_token()))
        g.actor = actor
        return view(*args, actor=actor, **kwargs)

    return wrapper  # type: ignore[return-value]
