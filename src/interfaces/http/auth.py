"""The bearer-token decorators: verify the token through the port and hand over an Actor.

``authenticated`` takes a session's access token or a personal access token (within its
scopes: docs/reference/tokens.md); ``session_authenticated`` refuses a personal token with
403 ``session_required``: the routes that manage how one signs in, or the account itself
(docs/decisions/0299-what-personal-tokens-may-not-do.md). The caller is made by the unit
that fills ``AUTHENTICATE`` (sign-in: its ``Actor``), so this module names no capability
(interfaces/shared/acting.py; docs/decisions/0806-the-requests-caller-is-a-slot-signin-fills.md).
The provider's own tokens, which the federation's and the orgs' routes take too, are read
where those live (``interfaces/http/routes/federation/provider_tokens.py``,
``interfaces/http/routes/orgs/callers.py``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from domain.errors import PermissionDenied, Unauthenticated
from interfaces.shared.acting import Caller, Presented, authenticated_caller, route_here

F = TypeVar("F", bound=Callable[..., Any])
SESSION_REQUIRED = "session_required"


def bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("A bearer access token is required.", code="missing_token")
    return token


def request_caller(*, with_factor: bool = False) -> Caller:
    """The caller the request's bearer token names (401 for none or one that is not valid);
    the session guards the units lend refuse what they mark of the route (a session of
    support access: what would outlast it)."""
    presented = Presented(
        bearer_token(),
        with_factor=with_factor,
        personal_method=request.method,
        route=route_here(),
    )
    caller = authenticated_caller(presented)
    g.actor = caller
    return caller


def bearer_actor() -> Caller:
    """The caller the request's bearer token names, for a route where one is optional (401
    for a token that is not valid)."""
    return request_caller()


def bearer_account() -> str:
    """The account of the session whose bearer token came with a request that takes one
    only to upgrade a guest (a sign-in with another provider; docs/guests.md), "" without
    one; 401 for a token that is not valid, 403 ``session_required`` for a personal one."""
    if not request.headers.get("Authorization"):
        return ""
    actor = request_caller()
    if actor.personal:
        raise PermissionDenied(
            "A personal access token cannot do this; sign in.", code=SESSION_REQUIRED
        )
    return actor.user_id


def authenticated[F: Callable[..., Any]](view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return view(*args, actor=request_caller(), **kwargs)

    return wrapper  # type: ignore[return-value]


def session_authenticated[F: Callable[..., Any]](view: F) -> F:
    """As ``authenticated``, for a signed-in session only: never a personal access token."""
    return _session_only(view, with_factor=False)


def session_authenticated_with_factor[F: Callable[..., Any]](view: F) -> F:
    """As ``session_authenticated``, the account's second factor read in the same round trip
    (``Actor.factor``)."""
    return _session_only(view, with_factor=True)


def _session_only[F: Callable[..., Any]](view: F, *, with_factor: bool) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        actor = request_caller(with_factor=with_factor)
        if actor.personal:
            raise PermissionDenied(
                "A personal access token cannot do this; sign in.", code=SESSION_REQUIRED
            )
        return view(*args, actor=actor, **kwargs)

    return wrapper  # type: ignore[return-value]
