"""The clients capability's service objects: ``services().of(ClientServices)``
(docs/decisions/0526-services-by-capability.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from application.clients.api_resources import ApiResourceRegistry
    from application.clients.client_keys import AssertionKeys
    from application.clients.clients import ClientRegistry
    from application.clients.ports import ClientResolvers


@dataclass(frozen=True, kw_only=True, slots=True)
class ClientServices:
    """The apps that may ask the provider for tokens, and the API resources they ask for."""

    clients: (
        ClientRegistry  # docs/reference/oauth.md, "Clients"; orgs.md, "Apps and tokens of an org"
    )
    resources: ApiResourceRegistry  # "API resources"
    keys: AssertionKeys  # "Client authentication with a signed assertion"
    # the units' clients known other than by registration (the agents' metadata documents)
    resolvers: ClientResolvers
