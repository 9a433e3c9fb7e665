"""The clients: their adapters (the clients, the API resources, what fetches a client's keys),
made from the settings, and their service objects built on them, one per room of
application/clients/; the provider (bootstrap/provider.py) builds on them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from application.clients.api_resources import ApiResourceRegistry, CatalogueCache
from application.clients.client_keys import AssertionKeys, KeptKeys
from application.clients.clients import ClientRegistry
from application.clients.ports import (
    CLIENT_RESOLVERS,
    NATIVE_APP_CLIENTS,
    ApiResources,
    ClientCache,
    ClientResolver,
    ClientResolvers,
    OAuthClients,
)
from application.clients.services import ClientServices
from application.events.webhooks.ports import DocumentGetter
from application.orgs.ports import ORG_REPOSITORY, OrgRepository
from application.outbound import HostResolver
from bootstrap.orgs_parts import ORG_DATA, RESOURCE_SCOPES
from bootstrap.platform import Platform
from bootstrap.unit import Built, Footing, Kernel, Lent, Unit
from domain.accounts.outlasting import OUTLASTING_ROUTES, Outlasting
from domain.slots import Slot
from infrastructure.firestore.clients.api_resources import FirestoreApiResources
from infrastructure.firestore.clients.oauth import FirestoreOAuthClients
from infrastructure.outbound_http import SocketHostResolver
from infrastructure.settings import Settings
from infrastructure.settings.identity.events import EventsSettings
from infrastructure.settings.identity.signin import SignInSettings
from infrastructure.settings.orgs_and_apps.clients import ClientSettings
from interfaces.cli import CommandGroup, Commands

if TYPE_CHECKING:
    import click
    from flask import Blueprint

    from interfaces.web.parts import Pages


@dataclass(frozen=True)
class ClientsAdapters:
    oauth_clients: OAuthClients
    api_resources: ApiResources
    keys_getter: DocumentGetter  # fetches a client's jwks_uri as a webhook is sent
    keys_resolver: HostResolver  # whose addresses must be public, as a webhook's


def build(footing: Footing) -> ClientsAdapters:
    """The keys fetched through the platform's outbound client, at the webhooks' deadline."""
    settings, client, platform = footing.settings, footing.client, footing.platform
    return ClientsAdapters(
        oauth_clients=FirestoreOAuthClients(client),
        api_resources=FirestoreApiResources(client),
        keys_getter=platform.outbound.sender(settings.group(EventsSettings).webhook_timeout),
        keys_resolver=SocketHostResolver(),
    )


def client_cache(
    own: ClientsAdapters, settings: Settings, resolvers: Sequence[ClientResolver]
) -> ClientCache:
    """The clients as each process reuses them once read; one per process, so that a
    deletion through any use case (an org's purge too) drops the copy at once; a
    ``client_id`` a unit's resolver names (a metadata document's URL: the agents'), the
    client it resolves."""
    return ClientCache(
        own.oauth_clients,
        settings.group(ClientSettings).oauth_client_cache_ttl,
        resolvers=ClientResolvers(resolvers),
    )


def resource_catalogue(own: ClientsAdapters, settings: Settings) -> CatalogueCache:
    """The registered API resources, read now and then (OAUTH_CLIENT_CACHE_TTL, as the
    clients); one per process, shared by the clients' use cases and the resources'."""
    return CatalogueCache(own.api_resources, settings.group(ClientSettings).oauth_client_cache_ttl)


def bind_clients(
    *, orgs: OrgRepository, platform: Platform, clients: ClientCache, catalogue: CatalogueCache
) -> ClientRegistry:
    """``orgs``: whose admins manage an org's own clients; ``clients``: this process's
    copies of the clients (``client_cache``), shared with what else deletes them."""
    return ClientRegistry(clients=clients, orgs=orgs, catalogue=catalogue, clock=platform.clock)


def bind_api_resources(
    settings: Settings, *, orgs: OrgRepository, platform: Platform, catalogue: CatalogueCache
) -> ApiResourceRegistry:
    own_api = (
        settings.group(SignInSettings).jwt_audience,
        settings.group(SignInSettings).jwt_issuer,
    )  # never a resource
    return ApiResourceRegistry(
        catalogue=catalogue, orgs=orgs, clock=platform.clock, reserved=own_api
    )


def bind_client_keys(own: ClientsAdapters, settings: Settings) -> AssertionKeys:
    """A client's jwks_uri, fetched under the webhooks' rules: a public address only, except
    in the local profile, whose clients run on this machine."""
    return AssertionKeys(
        getter=own.keys_getter,
        resolver=own.keys_resolver,
        local=settings.service.app_profile == "local",
        kept=KeptKeys(),
    )


@dataclass(frozen=True, kw_only=True)
class ClientParts:
    """This process's copies of the clients and of the API resources' catalogue, made before
    what else reads or deletes them is bound (``bootstrap/loans.py``)."""

    cache: ClientCache
    catalogue: CatalogueCache


def parts(
    own: ClientsAdapters, settings: Settings, *, resolvers: Sequence[ClientResolver] = ()
) -> ClientParts:
    """``resolvers``: the units' resolvers of clients known other than by registration
    (``CLIENT_RESOLVERS``), lent before the audit trail is made."""
    return ClientParts(
        cache=client_cache(own, settings, resolvers),
        catalogue=resource_catalogue(own, settings),
    )


def wire(
    own: ClientsAdapters,
    settings: Settings,
    parts: ClientParts,
    *,
    orgs: OrgRepository,
    platform: Platform,
) -> ClientServices:
    """The clients' use cases; ``orgs``: whose admins manage an org's own clients and API
    resources."""
    catalogue = parts.catalogue
    return ClientServices(
        keys=bind_client_keys(own, settings),
        resolvers=parts.cache.resolvers,
        clients=bind_clients(
            orgs=orgs, platform=platform, clients=parts.cache, catalogue=catalogue
        ),
        resources=bind_api_resources(settings, orgs=orgs, platform=platform, catalogue=catalogue),
    )


def api() -> Sequence[Blueprint]:
    """The clients unit's blueprints of the JSON API, in the order they are registered."""
    from interfaces.http.routes.clients import org_clients  # noqa: PLC0415 - loaded with the app

    return (org_clients.bp,)


def _clients_commands() -> Sequence[click.Command]:
    from interfaces.cli import clients  # noqa: PLC0415 - when the command line asks

    return clients.COMMANDS


def _resource_commands() -> Sequence[click.Command]:
    from interfaces.cli import clients  # noqa: PLC0415 - when the command line asks

    return clients.RESOURCE_COMMANDS


def pages() -> Pages:
    """The apps' section of an org's page."""
    from interfaces.web.clients import org_apps  # noqa: PLC0415 - loaded with the app
    from interfaces.web.orgs.org import ORG_SECTIONS  # noqa: PLC0415 - loaded with the app
    from interfaces.web.parts import At, Pages  # noqa: PLC0415 - loaded with the app

    return Pages(fills=(ORG_SECTIONS(At(80, org_apps.APPS)),))


# The core unit: its blueprints and pages (its adapters, use cases: ``build``, ``wire`` above).
# This process's copies of the clients and of the catalogue, made by ``lends_early``, offered
# the core's units above the clients as they lend early, lend, run and are built.
CLIENT_PARTS = Slot[ClientParts]("the clients' parts")


def lends_early(own: ClientsAdapters, kernel: Kernel) -> Lent:
    """The clients' parts, made before the audit trail (the provider's back-channel logout
    reads their cache), on the resolvers the units lent early before them, and what the orgs
    below take of them: their cache, an org's clients its purge deletes (``ORG_DATA``), and
    the catalogue's scopes, which a role may carry (``RESOURCE_SCOPES``)."""
    made = parts(own, kernel.settings, resolvers=kernel.filled(CLIENT_RESOLVERS))
    return Lent(
        fills=(ORG_DATA(made.cache), RESOURCE_SCOPES(made.catalogue)),
        offers=(CLIENT_PARTS(made),),
    )


def lends(_own: ClientsAdapters, kernel: Kernel) -> Lent:
    """What the clients offer the units: the clients with native apps
    (``NATIVE_APP_CLIENTS``), through this process's copies of the clients (whose query
    reads the store)."""
    return Lent(offers=(NATIVE_APP_CLIENTS(kernel.offered(CLIENT_PARTS).cache),))


def built(own: ClientsAdapters, kernel: Kernel) -> Built:
    """The clients' use cases (``wire``), on their parts and the orgs' repository the kernel
    offers."""
    services = wire(
        own,
        kernel.settings,
        kernel.offered(CLIENT_PARTS),
        orgs=kernel.offered(ORG_REPOSITORY),
        platform=kernel.platform,
    )
    return Built(services=(services,))


# Its routes that make or change what outlasts a session (an org's apps made or changed), by
# kind: a session of support access is refused them (the accounts' ``OUTLASTING_ROUTES``).
_OUTLASTING = OUTLASTING_ROUTES(
    (
        Outlasting.CLIENTS,
        (
            ("POST", "/orgs/<org>/clients"),
            ("PATCH", "/orgs/<org>/clients/<client_id>"),
            ("POST", "/account/orgs/<org>/apps"),
            ("POST", "/account/orgs/<org>/apps/<client_id>"),
        ),
    ),
)


UNIT = Unit[ClientsAdapters](
    name="clients",
    makes=build,
    lends_early=lends_early,
    lends=lends,
    build=built,
    optional=False,
    settings=(ClientSettings,),
    api=api,
    pages=pages,
    cli_groups=(
        CommandGroup("clients", "Manage the apps that sign in with firegate (OAuth)."),
        CommandGroup(
            "resources", "Manage the API resources apps ask tokens for, with their scopes (OAuth)."
        ),
    ),
    cli=(Commands("clients", _clients_commands), Commands("resources", _resource_commands)),
    fills=(_OUTLASTING,),
)
