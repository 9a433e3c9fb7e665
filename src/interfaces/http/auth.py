"""The bearer-token decorators: verify the token through the port and hand over an Actor.

``authenticated`` takes a session's access token or a personal access token (within its
scopes: docs/reference/tokens.md); ``session_authenticated`` refuses a personal token with
403 ``session_required``: the routes that manage how one signs in, or the account itself
(docs/decisions/0299-what-personal-tokens-may-not-do.md); ``person_or_org_client`` takes
an org-owned client's own token too, for the access decisions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from application.federation.services import FederationServices
from application.provider.services import ProviderServices
from application.provider.tokens import InspectToken
from application.signin.authentication import Actor, Authenticate
from application.signin.services import SigninServices
from domain.accounts.users import User
from domain.errors import PermissionDenied, Unauthenticated
from domain.orgs.access import AccessCaller, agent_caller, org_client_caller
from interfaces.shared.acting import route_here
from interfaces.shared.services import services

F = TypeVar("F", bound=Callable[..., Any])
SESSION_REQUIRED = "session_required"


def bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("A bearer access token is required.", code="missing_token")
    return token


def _actor(*, with_factor: bool = False) -> Actor:
    """The caller; the session guards the units lend refuse what they mark of the route
    (a session of support access: what would outlast it)."""
    command = Authenticate(
        bearer_token(),
        with_factor=with_factor,
        personal_method=request.method,
        route=route_here(),
    )
    actor = services().of(SigninServices).authentication.authenticate(command)
    g.actor = actor
    return actor


def bearer_actor() -> Actor:
    """The caller the request's bearer token names, for a route where one is optional (401
    for a token that is not valid)."""
    return _actor()


def bearer_account() -> str:
    """The account of the session whose bearer token came with a request that takes one
    only to upgrade a guest (a sign-in with another provider; docs/guests.md), "" without
    one; 401 for a token that is not valid, 403 ``session_required`` for a personal one."""
    if not request.headers.get("Authorization"):
        return ""
    actor = _actor()
    if actor.personal:
        raise PermissionDenied(
            "A personal access token cannot do this; sign in.", code=SESSION_REQUIRED
        )
    return actor.user_id


def authenticated[F: Callable[..., Any]](view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return view(*args, actor=_actor(), **kwargs)

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
        actor = _actor(with_factor=with_factor)
        if actor.personal:
            raise PermissionDenied(
                "A personal access token cannot do this; sign in.", code=SESSION_REQUIRED
            )
        return view(*args, actor=actor, **kwargs)

    return wrapper  # type: ignore[return-value]


@dataclass(frozen=True)
class AppToken:
    """A person's live access token of the provider, held by an app or agent: its claims,
    and the account read with its grant."""

    claims: Mapping[str, Any]
    account: User | None


def app_token() -> AppToken | None:
    """The request's bearer token when it is a person's live access token of the provider
    (it names a grant), else None."""
    state = services().of(ProviderServices).introspection.token_state(InspectToken(bearer_token()))
    if state is None or not state.live or state.kind != "access_token":
        return None
    if not isinstance(state.claims.get("grant_id"), str):
        return None
    return AppToken(state.claims, state.account)


def session_or_app_with_factor[F: Callable[..., Any]](view: F) -> F:
    """As ``session_authenticated_with_factor``, or a person's live access token of the
    provider, which an app or agent holds: the route gets ``caller``, an ``Actor`` or an
    ``AppToken`` (docs/reference/firebase.md)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            caller: Actor | AppToken = _actor(with_factor=True)
        except Unauthenticated:
            held = app_token()
            if held is None:
                raise
            caller = held
        if isinstance(caller, Actor) and caller.personal:
            raise PermissionDenied(
                "A personal access token cannot do this; sign in.", code=SESSION_REQUIRED
            )
        return view(*args, caller=caller, **kwargs)

    return wrapper  # type: ignore[return-value]


def person_or_org_client[F: Callable[..., Any]](view: F) -> F:
    """A person's token (as ``authenticated``), an org-owned client's own access token of
    the provider (``client_credentials``), or an app's or agent's token for the person
    issued for firegate's Firebase resource (within its scopes): the route gets ``caller``,
    an ``AccessCaller`` (docs/reference/access.md)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            caller = AccessCaller(user_id=_actor().user_id)
        except Unauthenticated:
            state = (
                services()
                .of(ProviderServices)
                .introspection.token_state(InspectToken(bearer_token()))
            )
            if state is None or not state.live or state.kind != "access_token":
                raise
            resource = services().of(FederationServices).firebase.agent_resource
            client = org_client_caller(state.claims) or agent_caller(state.claims, resource)
            if client is None:
                raise
            caller = client
        return view(*args, caller=caller, **kwargs)

    return wrapper  # type: ignore[return-value]
