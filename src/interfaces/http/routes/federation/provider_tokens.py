"""The provider's live access tokens, as the routes below the provider read them: a Firebase
custom token for an app's or agent's token (``session_or_app_with_factor``), the orgs' access
decisions for an org's client (interfaces/http/routes/orgs/callers.py). The provider fills
``PROVIDER_TOKENS`` (its record, bootstrap/provider.py) with its introspection; without it,
no token is one (docs/decisions/0806-the-requests-caller-is-a-slot-signin-fills.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Any

from application.signin.authentication import Actor, actor_of
from domain.accounts.users import User
from domain.errors import PermissionDenied, Unauthenticated
from domain.slots import Slot
from interfaces.http.auth import SESSION_REQUIRED, bearer_token, request_caller
from interfaces.shared.acting import filled_here


@dataclass(frozen=True)
class ProviderToken:
    """A live access token of the provider (RFC 7662's, ``token_type`` access token): its
    claims, and the account read with its grant (None: a client's own token)."""

    claims: Mapping[str, Any]
    account: User | None


type ProviderTokens = Callable[[str], ProviderToken | None]

# The provider's introspection of a bearer token: None for one that is no live access token
PROVIDER_TOKENS = Slot[ProviderTokens]("the provider's live access tokens")


def provider_token() -> ProviderToken | None:
    """The request's bearer token when it is a live access token of the provider."""
    found = filled_here(PROVIDER_TOKENS)
    if len(found) > 1:
        raise LookupError(f"{len(found)} units fill {PROVIDER_TOKENS.name}; one may")
    return found[0](bearer_token()) if found else None


def app_token() -> ProviderToken | None:
    """The request's bearer token when it is a person's live access token of the provider
    (it names a grant), else None."""
    held = provider_token()
    if held is None or not isinstance(held.claims.get("grant_id"), str):
        return None
    return held


def session_or_app_with_factor[F: Callable[..., Any]](view: F) -> F:
    """As ``session_authenticated_with_factor``, or a person's live access token of the
    provider, which an app or agent holds: the route gets ``caller``, an ``Actor`` or a
    ``ProviderToken`` (docs/reference/firebase.md)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            caller: Actor | ProviderToken = actor_of(request_caller(with_factor=True))
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
