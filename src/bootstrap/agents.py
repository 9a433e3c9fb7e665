"""The agents unit: what AI agents acting for a person add to the provider (docs/agents-and-clis.md,
docs/customers-govern-agents.md): clients known by the https URL of their client ID metadata
document, fetched when one is asked for (the clients' resolver slot), an org owners' door
to its agent policy (the ``agent-policy`` API and the Agents section of the org's page), the
ID-JAG (minted by the token exchange, redeemed by the JWT bearer grant) and delegation through
an agent's ``actor_token``, each in one of the provider's slots (application/provider/slots.py);
the policy itself is the org's, which the provider enforces on every app acting in it
(docs/decisions/0770-what-the-agents-unit-is.md, 0771-a-unit-resolves-clients.md,
0795-the-providers-slots.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from application.agents.documents import ClientDocuments, FetchBound
from application.agents.id_jag import mint, redemptions
from application.agents.policy import OrgAgentPolicies
from application.clients.ports import CLIENT_RESOLVERS
from application.events.webhooks.ports import PinnedClient
from application.orgs.ports import ORG_REPOSITORY
from application.outbound import HostResolver
from application.provider.slots import (
    ACTOR_TOKEN_TYPES,
    ON_THE_PROVIDER,
    REQUESTED_TOKEN_TYPES,
    TOKEN_GRANTS,
    ProviderParts,
    TokenType,
)
from bootstrap.unit import Built, Kernel, Lent, Unit
from domain.accounts.outlasting import OUTLASTING_ROUTES, Outlasting
from domain.agents.id_jag import ID_JAG
from domain.provider.token_exchange import ACCESS_TOKEN
from domain.request_limits import parse_limits
from infrastructure.agents.assertions import JoseSignedAssertions
from infrastructure.agents.settings import AgentSettings
from infrastructure.outbound_http import SocketHostResolver
from infrastructure.settings.identity.events import EventsSettings
from interfaces.shared.limits import request_origin

if TYPE_CHECKING:
    from flask import Blueprint
    from google.cloud.firestore import Client

    from bootstrap.platform import Platform
    from infrastructure.settings import Settings
    from interfaces.web.parts import Pages


@dataclass(frozen=True)
class AgentsAdapters:
    """``documents_getter``: what fetches a client's metadata document (None: the platform's
    outbound client, at the webhooks' deadline; the tests' fake else); ``host_resolver``:
    whose addresses must be public, as a webhook's."""

    documents_getter: PinnedClient | None
    host_resolver: HostResolver


def adapters(_settings: Settings, _client: Client) -> AgentsAdapters:
    return AgentsAdapters(documents_getter=None, host_resolver=SocketHostResolver())


def client_documents(
    own: AgentsAdapters, settings: Settings, platform: Platform, requester: Callable[[], str]
) -> ClientDocuments:
    """The clients described by a metadata document, fetched under the webhooks' rules: a
    public address only, except in the local profile, whose clients run on this machine.
    Each request naming one this process does not keep counts against ``requester()``, the
    client address of the request being served (RATE_LIMIT_OAUTH_CLIENT_DOCUMENTS)."""
    limits = settings.group(AgentSettings).rate_limit_oauth_client_documents
    getter = own.documents_getter or platform.outbound.sender(
        settings.group(EventsSettings).webhook_timeout
    )
    return ClientDocuments(
        getter=getter,
        resolver=own.host_resolver,
        local=settings.service.app_profile == "local",
        clock=platform.clock,
        bound=FetchBound(
            limits=tuple(parse_limits(limits)) if limits.strip() else (),  # empty: no bound
            counter=platform.request_counter,
            requester=requester,
        ),
    )


def lends_early(own: AgentsAdapters, kernel: Kernel) -> Lent:
    """The clients' resolver of the clients described by a metadata document, each request
    counted against the client address of the request being served ("" outside one)."""
    documents = client_documents(own, kernel.settings, kernel.platform, lambda: request_origin()[0])
    return Lent(fills=(CLIENT_RESOLVERS(documents),))


def build(_adapters: AgentsAdapters, kernel: Kernel) -> Built:
    """The org's agent policy as its owners read and set it; in the local profile its hosts
    may be the loopback ones it fetches client metadata documents from."""
    return Built(
        services=(
            OrgAgentPolicies(
                orgs=kernel.offered(ORG_REPOSITORY),
                clock=kernel.platform.clock,
                audit=kernel.platform.audit,
                local=kernel.settings.service.app_profile == "local",
            ),
        )
    )


def jwt_bearer() -> type[Any]:
    """The JWT bearer grant that redeems an ID-JAG, loaded with the provider's server."""
    from interfaces.agents.jwt_bearer import JwtBearerGrant  # noqa: PLC0415 - with Authlib

    return JwtBearerGrant


def id_jag_exchange() -> object:
    """The token exchange's ID-JAG, loaded with the provider's server."""
    from interfaces.agents.id_jag import IdJagExchange  # noqa: PLC0415 - with Authlib

    return IdJagExchange()


def agent_actor() -> object:
    """An agent's own access token as the token exchange's ``actor_token``."""
    from interfaces.agents.actors import AgentActor  # noqa: PLC0415 - with Authlib

    return AgentActor()


def id_jags_redeemed(parts: ProviderParts) -> object:
    """The ID-JAGs' redemptions, on the provider's internals, read by joserfc."""
    return redemptions(parts, JoseSignedAssertions())


def api() -> Sequence[Blueprint]:
    from interfaces.http.routes.agents import policy  # noqa: PLC0415 - loaded with the app

    return (policy.bp,)


def pages() -> Pages:
    """The Agents section of an org's page, between its apps and its events."""
    from interfaces.web.agents import org_agents  # noqa: PLC0415 - loaded with the app
    from interfaces.web.orgs.org import ORG_SECTIONS  # noqa: PLC0415 - loaded with the app
    from interfaces.web.parts import At, Pages  # noqa: PLC0415 - loaded with the app

    return Pages(fills=(ORG_SECTIONS(At(90, org_agents.AGENTS)),))


# Its routes that make or change what outlasts a session (an org's agent policy), by kind: a
# session of support access is refused them (the accounts' ``OUTLASTING_ROUTES``).
_OUTLASTING = OUTLASTING_ROUTES(
    (
        Outlasting.ORG_SETTINGS,
        (
            ("PUT", "/orgs/<org>/agent-policy"),
            ("POST", "/account/orgs/<org>/agents"),
        ),
    ),
)


UNIT = Unit[AgentsAdapters](
    name="agents",
    adapters=adapters,
    build=build,
    api=api,
    pages=pages,
    settings=(AgentSettings,),
    fills=(
        TOKEN_GRANTS(jwt_bearer),
        REQUESTED_TOKEN_TYPES(TokenType(ID_JAG, id_jag_exchange)),
        ACTOR_TOKEN_TYPES(TokenType(ACCESS_TOKEN, agent_actor)),
        ON_THE_PROVIDER(id_jags_redeemed, mint),
        _OUTLASTING,
    ),
    lends_early=lends_early,
)
