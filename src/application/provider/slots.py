"""The provider's slots (docs/contributing.md, "Units"; docs/decisions/0795-the-providers-slots.md):
what a unit adds to the token endpoint, declared here beside what the provider holds and
filled by the unit's record (``fills=(TOKEN_GRANTS(jwt_bearer), ...)``).

- ``TOKEN_GRANTS``: a grant of the token endpoint, as a function that imports its Authlib
  grant class (interfaces/provider/server/grants/) on the provider's first request, with
  Authlib; registered after the core's, listed in the metadata. A grant type no unit serves
  is ``unsupported_grant_type``.
- ``REQUESTED_TOKEN_TYPES``: a ``requested_token_type`` of the token exchange other than an
  access token, with what loads its handler (``RequestedType`` in
  interfaces/provider/server/grants/exchange.py). Another is ``invalid_request``.
- ``ACTOR_TOKEN_TYPES``: an ``actor_token_type`` the token exchange takes, with what loads
  the handler that says who acts (``ActorType``, the same module). With none, an
  ``actor_token`` is ``invalid_request``: the exchanging client is the actor.
- ``ON_THE_PROVIDER``: what a unit builds on the provider's internals (``ProviderParts``),
  made where the provider is; a grant reaches it by its type
  (``services().of(ProviderServices).units.part(Kind)``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from domain.slots import Slot

if TYPE_CHECKING:
    from application.accounts.accounts import UserRepository
    from application.accounts.ways_in import IdentityRepository
    from application.clients.api_resources import CatalogueCache
    from application.federation.upstream import UpstreamClient
    from application.ports import Clock, SecretBox
    from application.provider.ports import GrantHolders, OAuthGrants, OAuthPolicy, ProviderTokens
    from application.signin.ports import ActiveOrgs
    from application.sso.ports import Connections
    from domain.signin.claims.sources import ClaimSources


@dataclass(frozen=True)
class TokenType:
    """A token type of the token exchange a unit serves: its URI (RFC 8693 §3) and what
    imports and makes its handler, an object of the provider's server, on its first
    request."""

    uri: str
    load: Callable[[], Any]


@dataclass(frozen=True, kw_only=True)
class ProviderParts:
    """The provider's internals a unit's use case is built on: its keys (None: the provider
    is off), grants and their holders, the accounts, their ways in and orgs, the orgs'
    connections with the client that reads their issuers and the box that opens their
    secrets, the API resources, the clock, the policy and the claim sources every minting
    iterates."""

    keys: ProviderTokens | None
    grants: OAuthGrants
    holders: GrantHolders
    users: UserRepository
    identities: IdentityRepository
    orgs: ActiveOrgs
    connections: Connections
    upstream: UpstreamClient
    box: SecretBox
    catalogue: CatalogueCache
    clock: Clock
    policy: OAuthPolicy
    claims: ClaimSources


TOKEN_GRANTS = Slot[Callable[[], type[Any]]]("the token endpoint's grants")
REQUESTED_TOKEN_TYPES = Slot[TokenType]("the token exchange's requested token types")
ACTOR_TOKEN_TYPES = Slot[TokenType]("the token exchange's actor token types")
ON_THE_PROVIDER = Slot[Callable[[ProviderParts], object]]("built on the provider's internals")


@dataclass(frozen=True, kw_only=True)
class ProviderUnits:
    """What the units put in the provider's slots, as the provider holds it: the loaders of
    their grants and token types (called when the server is built) and what they built on
    its internals."""

    grants: tuple[Callable[[], type[Any]], ...] = ()
    requested_types: tuple[TokenType, ...] = ()
    actor_types: tuple[TokenType, ...] = ()
    built: tuple[object, ...] = ()

    def part[T](self, kind: type[T]) -> T:
        """What a unit built of ``kind``; ``LookupError`` if none did (the unit is out)."""
        for found in self.built:
            if isinstance(found, kind):
                return found
        raise LookupError(f"no unit built a {kind.__name__} on the provider")
