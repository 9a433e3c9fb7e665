"""Single sign-on for organizations: its adapters and its use cases bound to them
(docs/reference/sso.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from pydantic import SecretStr

from application.accounts.accounts import AccountHooks
from application.events.webhooks.ports import DocumentGetter, HostResolver, PinnedClient, Scheduler
from application.federation.providers import UpstreamProviders
from application.federation.upstream import UpstreamClient
from application.jobs import JobHandler
from application.orgs.ports import OrgRepository
from application.orgs.sso_policy import SsoReadiness
from application.ports import Clock, JobQueue, SecretBox
from application.signin.sessions import SignInGate
from application.sso.arrival import SsoAccounts, SsoPolicy
from application.sso.connections import (
    ConnectionServices,
    ConnectionTools,
    MetadataDownloads,
    create_connection,
    delete_connection,
    get_connection,
    list_connections,
    update_connection,
)
from application.sso.discovery import (
    DiscoveryServices,
    SsoPresence,
    discover,
    has_active_connection,
)
from application.sso.expiry import (
    MAIL_ADMIN,
    WARN_ADMINS,
    mail_admin,
    warn_admins,
    warn_expiring_certificates,
)
from application.sso.names import WayInNames
from application.sso.oidc import OidcSignInServices, OidcTools, finish_oidc, start_oidc
from application.sso.ports import Connections, SamlMetadata, SamlServiceProvider, SpentAssertions
from application.sso.required import OrgHold, RequiredSso
from application.sso.saml import SamlServices, saml_metadata
from application.sso.setup import (
    SetupLinkServices,
    list_setup_links,
    make_setup_link,
    open_setup,
    revoke_setup_link,
    set_up,
)
from application.sso.signin import SamlSignInServices, finish_saml, start_saml
from bootstrap.accounts import AccountsAdapters
from bootstrap.federation import SignedIn
from bootstrap.mail import MailAdapters, mail_settings
from bootstrap.orgs import OrgsAdapters
from bootstrap.platform import Platform
from domain.sso.connections import SpAddresses
from infrastructure.events.webhook_http import PinnedWebhookSender, SocketHostResolver
from infrastructure.federation.upstream_oidc import AuthlibUpstreamClient
from infrastructure.firestore.sso.assertions import FirestoreSpentAssertions
from infrastructure.firestore.sso.connections import FirestoreConnections
from infrastructure.settings import Settings
from infrastructure.sso.idp_requests import PinnedIdpAdapter
from infrastructure.sso.saml_metadata import Pysaml2Metadata
from infrastructure.sso.saml_sp import Pysaml2ServiceProvider

if TYPE_CHECKING:
    from google.cloud.firestore import Client


@dataclass(frozen=True)
class SsoAdapters:
    connections: Connections
    saml_metadata: SamlMetadata  # reads an IdP's metadata
    saml: SamlServiceProvider  # firegate as the service provider of each SAML connection
    spent: SpentAssertions  # the SAML assertions used
    metadata_getter: DocumentGetter  # fetches an IdP's metadata as a webhook is sent
    metadata_resolver: HostResolver  # whose addresses must be public, as a webhook's
    oidc_client: UpstreamClient  # the OpenID connections': each request as a webhook is sent


def service_provider(settings: Settings) -> SamlServiceProvider:
    """pysaml2 with SAML_SP_PRIVATE_KEY (none: SAML sign-in answers 503)."""
    return Pysaml2ServiceProvider(
        partial(_secret, settings.sso.saml_sp_private_key),
        partial(SpAddresses.of, settings.service.public_url),
    )


def _secret(key: SecretStr | None) -> str | None:
    """The key's text, read when first signed with (a development key is made then)."""
    return key.get_secret_value() if key is not None else None


def connection_client(
    pinned: PinnedClient, resolver: HostResolver, *, local: bool
) -> UpstreamClient:
    """The upstream providers' OpenID client (Authlib's), each of its requests sent through
    the webhooks' ``pinned`` client under their rules: to a public address only (any, in the
    ``local`` profile), that very address, no redirect, their deadline
    (docs/decisions/0445-an-openid-connection-fetches-as-a-webhook-is-sent.md)."""
    return AuthlibUpstreamClient(transport=PinnedIdpAdapter(pinned, resolver, local=local))


def build(settings: Settings, client: Client) -> SsoAdapters:
    pinned = PinnedWebhookSender(timeout=settings.events.webhook_timeout)
    resolver = SocketHostResolver()
    local = settings.service.app_profile == "local"
    return SsoAdapters(
        connections=FirestoreConnections(client),
        saml_metadata=Pysaml2Metadata(),
        saml=service_provider(settings),
        spent=FirestoreSpentAssertions(client),
        metadata_getter=pinned,
        metadata_resolver=resolver,
        oidc_client=connection_client(pinned, resolver, local=local),
    )


def bind_connections(
    own: SsoAdapters,
    settings: Settings,
    *,
    orgs: OrgRepository,
    box: SecretBox,
    platform: Platform,
    any_sso: SsoPresence,
) -> ConnectionServices:
    """``orgs``: whose admins manage the connections; ``box``: seals OpenID client secrets;
    the connections' own addresses are under PUBLIC_URL."""
    connections, audit = own.connections, platform.audit
    tools = _tools(own, settings, box, platform, any_sso)
    return ConnectionServices(
        create=partial(
            create_connection, orgs=orgs, connections=connections, tools=tools, audit=audit
        ),
        list=partial(list_connections, orgs=orgs, connections=connections),
        get=partial(get_connection, orgs=orgs, connections=connections),
        update=partial(
            update_connection, orgs=orgs, connections=connections, tools=tools, audit=audit
        ),
        delete=partial(delete_connection, orgs=orgs, connections=connections, audit=audit),
        addresses=partial(SpAddresses.of, settings.service.public_url),
    )


def _tools(
    own: SsoAdapters, settings: Settings, box: SecretBox, platform: Platform, any_sso: SsoPresence
) -> ConnectionTools:
    """An IdP's metadata URL is fetched under the webhooks' rules: a public address only,
    except in the local profile, whose IdPs run on this machine; an activation is known to
    this process's ``any_sso`` at once."""
    downloads = MetadataDownloads(
        getter=own.metadata_getter,
        resolver=own.metadata_resolver,
        local=settings.service.app_profile == "local",
    )
    return ConnectionTools(
        metadata=own.saml_metadata,
        box=box,
        clock=platform.clock,
        downloads=downloads,
        activated=any_sso.activated,
    )


def bind_setup_links(
    own: SsoAdapters,
    settings: Settings,
    *,
    orgs: OrgRepository,
    box: SecretBox,
    platform: Platform,
    any_sso: SsoPresence,
) -> SetupLinkServices:
    """The connections' other door: a link the org's admins hand the customer's IT admin,
    under PUBLIC_URL; what is done through it goes through the connections' own checks."""
    connections, audit, clock = own.connections, platform.audit, platform.clock
    tools, public_url = _tools(own, settings, box, platform, any_sso), settings.service.public_url
    return SetupLinkServices(
        make=partial(
            make_setup_link,
            orgs=orgs,
            connections=connections,
            tools=tools,
            audit=audit,
            public_url=public_url,
        ),
        list=partial(list_setup_links, orgs=orgs, connections=connections, clock=clock),
        revoke=partial(revoke_setup_link, orgs=orgs, connections=connections, clock=clock),
        open=partial(
            open_setup, orgs=orgs, connections=connections, clock=clock, public_url=public_url
        ),
        set_up=partial(
            set_up,
            orgs=orgs,
            connections=connections,
            tools=tools,
            audit=audit,
            public_url=public_url,
        ),
    )


def bind_saml(own: SsoAdapters) -> SamlServices:
    return SamlServices(
        metadata=partial(saml_metadata, connections=own.connections, sp=own.saml),
    )


def _accounts(
    own: SsoAdapters, orgs: OrgsAdapters, signed_in: SignedIn, hooks: AccountHooks
) -> SsoAccounts:
    """What a connection's sign-in finds and makes accounts with: the linking rules of every
    identity provider (``signed_in``, with rule 5's verification mail from ``hooks``), the
    org's verified domains and memberships (``orgs``), its connections and the passkeys
    (what else opens an account)."""
    return SsoAccounts(
        orgs=orgs.orgs,
        domains=orgs.domains,
        links=signed_in.links(hooks),
        sign_in=signed_in.step(),
        policy=SsoPolicy(devices=signed_in.rules.device_policy),
        connections=own.connections,
        passkeys=signed_in.signin.passkeys,
    )


def bind_saml_signin(
    own: SsoAdapters,
    *,
    orgs: OrgsAdapters,
    signed_in: SignedIn,
    hooks: AccountHooks,
) -> SamlSignInServices:
    """Signing in through a SAML connection."""
    box, clock = signed_in.signin.secret_box, signed_in.platform.clock
    return SamlSignInServices(
        start=partial(start_saml, connections=own.connections, sp=own.saml, box=box, clock=clock),
        finish=partial(
            finish_saml,
            connections=own.connections,
            sp=own.saml,
            spent=own.spent,
            box=box,
            accounts=_accounts(own, orgs, signed_in, hooks),
        ),
    )


def bind_oidc_signin(
    own: SsoAdapters,
    settings: Settings,
    *,
    orgs: OrgsAdapters,
    signed_in: SignedIn,
    hooks: AccountHooks,
) -> OidcSignInServices:
    """Signing in through an OpenID connection: the upstream providers' OpenID client
    (Authlib's) under the webhooks' rules, to the connection's IdP and back to its address
    under PUBLIC_URL."""
    tools = OidcTools(
        client=own.oidc_client,
        box=signed_in.signin.secret_box,
        clock=signed_in.platform.clock,
        addresses=partial(SpAddresses.of, settings.service.public_url),
    )
    return OidcSignInServices(
        start=partial(start_oidc, connections=own.connections, tools=tools),
        finish=partial(
            finish_oidc,
            connections=own.connections,
            tools=tools,
            accounts=_accounts(own, orgs, signed_in, hooks),
        ),
    )


def presence(own: SsoAdapters, clock: Clock) -> SsoPresence:
    """Whether any org has an active connection, remembered by the process: one for the
    sign-in page and the sign-in step alike."""
    return SsoPresence(own.connections, clock)


def bind_discovery(
    own: SsoAdapters, settings: Settings, *, orgs: OrgsAdapters, any_sso: SsoPresence
) -> DiscoveryServices:
    """Home-realm discovery: an address's connection by the org's verified domains
    (``orgs``); whether any org has single sign-on (``any_sso``)."""
    return DiscoveryServices(
        discover=partial(
            discover,
            domains=orgs.domains,
            orgs=orgs.orgs,
            connections=own.connections,
            public_url=settings.service.public_url,
        ),
        any_sso=any_sso,
    )


def sso_ready(own: SsoAdapters) -> SsoReadiness:
    """Whether an org has an active connection: its owners may then require it."""
    return partial(has_active_connection, connections=own.connections)


def required_sso(
    own: SsoAdapters, settings: Settings, *, orgs: OrgsAdapters, any_sso: SsoPresence
) -> SignInGate:
    """The sign-in step's gate: an org that requires its single sign-on holds its members
    on its verified domains to it (its start answered under PUBLIC_URL); nothing is read
    while no org has an active connection (``any_sso``)."""
    return RequiredSso(
        domains=orgs.domains,
        orgs=orgs.orgs,
        connections=own.connections,
        public_url=settings.service.public_url,
        any_sso=any_sso,
    )


def account_hold(*, orgs: OrgsAdapters) -> OrgHold:
    """What an org that holds an account refuses the person: leaving its domains while it
    requires its single sign-on of them, another address or a password for one it made."""
    return OrgHold(orgs=orgs.orgs, domains=orgs.domains)


def certificate_sweep(
    own: SsoAdapters, *, platform: Platform, queue: JobQueue
) -> Callable[[], int]:
    """One pass of the IdP certificates' expiry warning (docs/reference/sso.md)."""
    return partial(
        warn_expiring_certificates,
        connections=own.connections,
        audit=platform.audit,
        queue=queue,
        clock=platform.clock,
    )


def way_in_names(
    own: SsoAdapters, *, orgs: OrgsAdapters, providers: UpstreamProviders
) -> WayInNames:
    """The identity providers as the notices of a new way in name them: the upstream
    ``providers``, the org's connections and the orgs' names."""
    return WayInNames(providers=providers, connections=own.connections, orgs=orgs.orgs)


def certificate_handlers(
    own: SsoAdapters,
    settings: Settings,
    *,
    orgs: OrgsAdapters,
    accounts: AccountsAdapters,
    mail: MailAdapters,
    platform: Platform,
    queue: JobQueue,
) -> dict[str, JobHandler]:
    """The warning's jobs: find the org's admins (``orgs``), mail each (``accounts``,
    ``mail``)."""
    return {
        WARN_ADMINS: partial(warn_admins, connections=own.connections, orgs=orgs.orgs, queue=queue),
        MAIL_ADMIN: partial(
            mail_admin,
            connections=own.connections,
            orgs=orgs.orgs,
            users=accounts.users,
            renderer=mail.mail_renderer,
            mailer=mail.mailer,
            clock=platform.clock,
            settings=mail_settings(settings),
            metrics=platform.metrics,
        ),
    }


def start_certificate_sweeper(
    settings: Settings, scheduler: Scheduler, sweep: Callable[[], int]
) -> None:
    """The sweep now and every SSO_CERTIFICATE_SWEEP_INTERVAL seconds in this process (0:
    never; then the ``orgs sso-certificates`` command, run daily, does it)."""
    interval = settings.sso.sso_certificate_sweep_interval
    if interval > 0:
        scheduler.every(interval, partial(_sweep_quietly, sweep))


def _sweep_quietly(sweep: Callable[[], int]) -> None:
    sweep()
