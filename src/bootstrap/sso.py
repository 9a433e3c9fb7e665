"""Single sign-on for organizations: its adapters and its use cases' objects built on them
(docs/reference/sso.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from application.accounts.accounts import AccountHooks
from application.accounts.profile_schema import ProfileSchemas
from application.events.webhooks.ports import DocumentGetter, PinnedClient, Scheduler
from application.federation.providers import UpstreamProviders
from application.federation.upstream import UpstreamClient
from application.jobs import JOBS, SWEEPS, TIMERS, JobHandler
from application.orgs.managed import OutsideWayIn
from application.orgs.ports import OrgRepository
from application.orgs.sso_policy import ConnectionNames, SsoReadiness
from application.outbound import HostResolver
from application.ports import Clock, JobQueue, SecretBox
from application.signin.sign_in import SignInGate
from application.sso.arrival import OutsideWayInOf, SsoArrivals, SsoPolicy
from application.sso.connections import ConnectionEditor, SsoConnections
from application.sso.discovery import ConnectionReadiness, HomeRealmDiscovery, SsoPresence
from application.sso.expiry import MAIL_ADMIN, WARN_ADMINS, CertificateSweep, CertificateWarnings
from application.sso.names import OrgConnectionNames, WayInNames
from application.sso.ports import (
    Connections,
    SamlMetadata,
    SamlServiceProvider,
    SamlSessions,
    SamlSingleLogout,
    SpentAssertions,
)
from application.sso.required import OrgHold, RequiredSso
from application.sso.services import SsoServices
from application.sso.setup import SetupLinks
from application.sso.signin.logout import SamlLogout
from application.sso.signin.oidc import OidcSignIn
from application.sso.signin.saml import EncryptionKeys, SamlSignIn, SamlSpMetadata
from bootstrap.accounts import SHARED, AccountsAdapters, Shared
from bootstrap.drivers import PAGES_CONFIGURED
from bootstrap.events import EventsAdapters
from bootstrap.federation import SIGNED_IN, FederationAdapters, SignedIn
from bootstrap.federation_cloud import UpstreamClientOnFirstUse
from bootstrap.mail import HOOKED_MAIL, PROVIDER_NAMES, MailAdapters, mail_settings
from bootstrap.orgs import OrgsAdapters
from bootstrap.orgs_parts import CONNECTION_NAMES, ORG_DATA, OUTSIDE_WAYS_IN, SSO_READINESS
from bootstrap.platform import Platform
from bootstrap.signin_policies import ACCOUNT_HOLDS, SIGN_IN_GATES
from bootstrap.sso_driving import OUTLASTING, sso_pages
from bootstrap.unit import Built, Footing, Kernel, Lent, Unit
from domain.slots import Slot
from infrastructure.firestore.sso.assertions import FirestoreSpentAssertions
from infrastructure.firestore.sso.connections import FirestoreConnections
from infrastructure.firestore.sso.saml_sessions import FirestoreSamlSessions
from infrastructure.outbound_http import SocketHostResolver
from infrastructure.settings import Settings
from infrastructure.settings.identity.events import EventsSettings
from infrastructure.settings.identity.signin import SignInSettings
from infrastructure.settings.orgs_and_apps.sso import SsoSettings
from infrastructure.sso.saml_metadata import Pysaml2Metadata
from infrastructure.sso.saml_sp import Pysaml2ServiceProvider
from interfaces.cli import Commands

if TYPE_CHECKING:
    import click
    from flask import Blueprint

    from interfaces.web.parts import Pages


@dataclass(frozen=True)
class SsoAdapters:
    connections: Connections
    saml_metadata: SamlMetadata  # reads an IdP's metadata
    saml: SamlServiceProvider  # firegate as the service provider of each SAML connection
    spent: SpentAssertions  # the SAML assertions used
    metadata_getter: DocumentGetter  # fetches an IdP's metadata as a webhook is sent
    metadata_resolver: HostResolver  # whose addresses must be public, as a webhook's
    oidc_client: UpstreamClient  # the OpenID connections': each request as a webhook is sent
    slo: SamlSingleLogout  # SAML single logout's messages (pysaml2, as ``saml``)
    saml_sessions: SamlSessions  # how the sessions begun through a SAML connection began


def service_provider(settings: Settings) -> Pysaml2ServiceProvider:
    """pysaml2 with SAML_SP_PRIVATE_KEY (none: SAML sign-in answers 503), its key's text read
    when first signed with; the connections' addresses under PUBLIC_URL."""
    key = settings.group(SsoSettings).saml_sp_private_key
    return Pysaml2ServiceProvider(
        key.get_secret_value if key is not None else _no_key, settings.service.public_url
    )


def _no_key() -> str | None:
    return None


def connection_client(
    pinned: PinnedClient, resolver: HostResolver, *, local: bool
) -> UpstreamClient:
    """The upstream providers' OpenID client (Authlib's), each of its requests sent through
    the webhooks' ``pinned`` client under their rules: to a public address only (any, in the
    ``local`` profile), that very address, no redirect, their deadline
    (docs/decisions/0445-an-openid-connection-fetches-as-a-webhook-is-sent.md). Made by the
    first OpenID connection's sign-in: Authlib and requests are imported then, never by
    gunicorn's master (docs/decisions/0530-protocol-stacks-loaded-when-used.md)."""

    def make() -> UpstreamClient:
        from infrastructure.federation.upstream_oidc import AuthlibUpstreamClient  # noqa: PLC0415
        from infrastructure.sso.idp_requests import PinnedIdpAdapter  # noqa: PLC0415

        return AuthlibUpstreamClient(transport=PinnedIdpAdapter(pinned, resolver, local=local))

    return UpstreamClientOnFirstUse(make)


def build(footing: Footing) -> SsoAdapters:
    """Its adapters (``Unit.makes``) on ``footing``."""
    settings, client, platform = footing.settings, footing.client, footing.platform
    pinned = platform.outbound.sender(settings.group(EventsSettings).webhook_timeout)
    resolver = SocketHostResolver()
    local = settings.service.app_profile == "local"
    sp = service_provider(settings)
    return SsoAdapters(
        connections=FirestoreConnections(client),
        saml_metadata=Pysaml2Metadata(),
        saml=sp,
        spent=FirestoreSpentAssertions(client),
        metadata_getter=pinned,
        metadata_resolver=resolver,
        oidc_client=connection_client(pinned, resolver, local=local),
        slo=sp,
        saml_sessions=FirestoreSamlSessions(client),
    )


def _editor(own: SsoAdapters, settings: Settings, box: SecretBox, clock: Clock) -> ConnectionEditor:
    """An IdP's metadata URL is fetched under the webhooks' rules: a public address only,
    except in the local profile, whose IdPs run on this machine; ``box`` seals OpenID client
    secrets."""
    return ConnectionEditor(
        metadata=own.saml_metadata,
        box=box,
        clock=clock,
        getter=own.metadata_getter,
        resolver=own.metadata_resolver,
        local=settings.service.app_profile == "local",
    )


def bind_connections(
    own: SsoAdapters,
    settings: Settings,
    *,
    orgs: OrgRepository,
    box: SecretBox,
    platform: Platform,
    any_sso: SsoPresence,
) -> SsoConnections:
    """``orgs``: whose admins manage the connections; ``box``: seals OpenID client secrets;
    the connections' own addresses are under PUBLIC_URL; an activation is known to this
    process's ``any_sso`` at once."""
    return SsoConnections(
        orgs=orgs,
        connections=own.connections,
        editor=_editor(own, settings, box, platform.clock),
        clock=platform.clock,
        audit=platform.audit,
        public_url=settings.service.public_url,
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
) -> SetupLinks:
    """The connections' other door: a link the org's admins hand the customer's IT admin,
    under PUBLIC_URL; what is done through it goes through the connections' own checks."""
    return SetupLinks(
        orgs=orgs,
        connections=own.connections,
        editor=_editor(own, settings, box, platform.clock),
        clock=platform.clock,
        audit=platform.audit,
        public_url=settings.service.public_url,
        activated=any_sso.activated,
    )


def bind_saml(own: SsoAdapters, *, box: SecretBox, clock: Clock) -> SamlSpMetadata:
    """firegate's SP metadata and each connection's encryption keys, sealed by ``box``."""
    return SamlSpMetadata(
        connections=own.connections, sp=own.saml, keys=EncryptionKeys(box=box, clock=clock)
    )


def _arrivals(
    own: SsoAdapters,
    orgs: OrgsAdapters,
    signed_in: SignedIn,
    hooks: AccountHooks,
    schemas: ProfileSchemas,
) -> SsoArrivals:
    """What a connection's sign-in finds and makes accounts with: the linking rules of every
    identity provider (``signed_in``, with rule 5's verification mail from ``hooks``), the
    org's verified domains and memberships (``orgs``), its connections and the passkeys
    (what else opens an account), the profile attributes its mapping fills (``schemas``)."""
    return SsoArrivals(
        orgs=orgs.orgs,
        domains=orgs.domains,
        links=signed_in.links(hooks),
        sign_in=signed_in.step(),
        policy=SsoPolicy(devices=signed_in.rules.device_policy),
        connections=own.connections,
        passkeys=signed_in.signin.passkeys,
        addresses=signed_in.rules.addresses,
        schemas=schemas,
    )


def bind_saml_signin(
    own: SsoAdapters,
    *,
    orgs: OrgsAdapters,
    signed_in: SignedIn,
    hooks: AccountHooks,
    schemas: ProfileSchemas,
    logout: SamlLogout,
) -> SamlSignIn:
    """Signing in through a SAML connection; each session it begins remembered for
    ``logout``."""
    return SamlSignIn(
        orgs=orgs.orgs,
        connections=own.connections,
        sp=own.saml,
        spent=own.spent,
        box=signed_in.signin.secret_box,
        clock=signed_in.platform.clock,
        arrivals=_arrivals(own, orgs, signed_in, hooks, schemas),
        began=logout.remember,
    )


def bind_saml_logout(own: SsoAdapters, settings: Settings, signed_in: SignedIn) -> SamlLogout:
    """SAML single logout: the IdP's logout ends the person's sessions as signing out
    everywhere does (sign-in's accounts and sessions, the audit log's back-channel logout);
    the connections' SLO URLs under PUBLIC_URL."""
    return SamlLogout(
        connections=own.connections,
        sp=own.slo,
        origins=own.saml_sessions,
        spent=own.spent,
        users=signed_in.accounts.users,
        sessions=signed_in.signin.sessions,
        audit=signed_in.platform.audit,
        clock=signed_in.platform.clock,
        box=signed_in.signin.secret_box,
        public_url=settings.service.public_url,
    )


def bind_oidc_signin(
    own: SsoAdapters,
    settings: Settings,
    *,
    orgs: OrgsAdapters,
    signed_in: SignedIn,
    hooks: AccountHooks,
    schemas: ProfileSchemas,
) -> OidcSignIn:
    """Signing in through an OpenID connection: the upstream providers' OpenID client
    (Authlib's) under the webhooks' rules, to the connection's IdP and back to its address
    under PUBLIC_URL."""
    return OidcSignIn(
        orgs=orgs.orgs,
        connections=own.connections,
        client=own.oidc_client,
        box=signed_in.signin.secret_box,
        clock=signed_in.platform.clock,
        public_url=settings.service.public_url,
        arrivals=_arrivals(own, orgs, signed_in, hooks, schemas),
    )


@dataclass(frozen=True, kw_only=True)
class SsoParts:
    """What single sign-on makes before any capability is bound (``bootstrap/loans.py``):
    whether any org has it, remembered once, and the sweep of its certificates."""

    any_sso: SsoPresence
    certificate_sweep: CertificateSweep


def parts(own: SsoAdapters, *, platform: Platform, queue: JobQueue) -> SsoParts:
    """Whether any org has single sign-on, remembered once, and the certificates' sweep."""
    return SsoParts(
        any_sso=presence(own, platform.clock),
        certificate_sweep=certificate_sweep(own, platform=platform, queue=queue),
    )


def presence(own: SsoAdapters, clock: Clock) -> SsoPresence:
    """Whether any org has an active connection, remembered by the process: one for the
    sign-in page and the sign-in step alike."""
    return SsoPresence(own.connections, clock)


def bind_discovery(
    own: SsoAdapters, settings: Settings, *, orgs: OrgsAdapters, any_sso: SsoPresence
) -> HomeRealmDiscovery:
    """Home-realm discovery: an address's connection by the org's verified domains
    (``orgs``); whether any org has single sign-on (``any_sso``)."""
    return HomeRealmDiscovery(
        domains=orgs.domains,
        orgs=orgs.orgs,
        connections=own.connections,
        public_url=settings.service.public_url,
        presence=any_sso,
    )


def sso_ready(own: SsoAdapters) -> SsoReadiness:
    """Whether an org has an active connection: its owners may then require it."""
    return ConnectionReadiness(connections=own.connections)


def connection_names(own: SsoAdapters) -> ConnectionNames:
    """What an org's audit log calls the connections its events name."""
    return OrgConnectionNames(connections=own.connections)


def outside_way_in(own: SsoAdapters) -> OutsideWayIn:
    """Whether a linked identity opens an account by something an org does not hold (the
    accounts an org manages have none)."""
    return OutsideWayInOf(connections=own.connections)


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


def certificate_sweep(own: SsoAdapters, *, platform: Platform, queue: JobQueue) -> CertificateSweep:
    """One pass of the IdP certificates' expiry warning (docs/reference/sso.md)."""
    return CertificateSweep(
        connections=own.connections, audit=platform.audit, queue=queue, clock=platform.clock
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
    warnings = CertificateWarnings(
        connections=own.connections,
        orgs=orgs.orgs,
        users=accounts.users,
        queue=queue,
        renderer=mail.mail_renderer,
        mailer=mail.mailer,
        clock=platform.clock,
        settings=mail_settings(settings),
        metrics=platform.metrics,
        brands=mail.brands,
    )
    return {WARN_ADMINS: warnings.warn_admins, MAIL_ADMIN: warnings.mail_admin}


def start_certificate_sweeper(
    settings: Settings, scheduler: Scheduler, sweep: CertificateSweep
) -> None:
    """The sweep now and every SSO_CERTIFICATE_SWEEP_INTERVAL seconds in this process (0:
    never; then the ``orgs sso-certificates`` command, run daily, does it)."""
    interval = settings.group(SsoSettings).sso_certificate_sweep_interval
    if interval > 0:
        scheduler.every(interval, sweep.run_scheduled)


# Single sign-on's parts, offered to the core's ``lends`` and ``runs``.
SSO_PARTS = Slot[SsoParts]("single sign-on's parts")


def lends(own: SsoAdapters, kernel: Kernel) -> Lent:
    """What single sign-on lends sign-in and the accounts: the gate that holds an org's
    members to its single sign-on where the org requires it, and what an org that holds an
    account refuses the person; the orgs: whether a linked identity opens an account outside
    an org, whether an org has an active connection, what its audit log calls them, and its
    connections, which an org's purge deletes (``ORG_DATA``). What it
    offers the units after it: its parts (``SSO_PARTS``: whether any org has single sign-on,
    remembered once for the gate and its use cases; the certificates' sweep), and the
    identity providers' names mail's notices give (``PROVIDER_NAMES``)."""
    orgs = kernel.adapters_of(OrgsAdapters)
    made = parts(own, platform=kernel.platform, queue=kernel.queue)
    providers = kernel.adapters_of(FederationAdapters).upstream_providers
    return Lent(
        fills=(
            SIGN_IN_GATES(required_sso(own, kernel.settings, orgs=orgs, any_sso=made.any_sso)),
            ACCOUNT_HOLDS(account_hold(orgs=orgs)),
            OUTSIDE_WAYS_IN(outside_way_in(own)),
            SSO_READINESS(sso_ready(own)),
            CONNECTION_NAMES(connection_names(own)),
            ORG_DATA(own.connections),
        ),
        offers=(
            SSO_PARTS(made),
            PROVIDER_NAMES(way_in_names(own, orgs=orgs, providers=providers)),
        ),
    )


def runs(own: SsoAdapters, kernel: Kernel) -> Lent:
    """What single sign-on runs once the core's loans are made: the certificates' warnings
    (jobs), their sweep and its timer (SSO_CERTIFICATE_SWEEP_INTERVAL)."""
    sweep = kernel.offered(SSO_PARTS).certificate_sweep
    scheduler = kernel.adapters_of(EventsAdapters).scheduler
    jobs = certificate_handlers(
        own,
        kernel.settings,
        orgs=kernel.adapters_of(OrgsAdapters),
        accounts=kernel.adapters_of(AccountsAdapters),
        mail=kernel.offered(HOOKED_MAIL),
        platform=kernel.platform,
        queue=kernel.queue,
    )
    return Lent(
        fills=(
            JOBS(*jobs.items()),
            SWEEPS(("sso-certificates", sweep.sweep)),
            TIMERS(lambda: start_certificate_sweeper(kernel.settings, scheduler, sweep)),
        )
    )


def wire(
    own: SsoAdapters,
    settings: Settings,
    signed_in: SignedIn,
    shared: Shared,
    *,
    orgs: OrgsAdapters,
    any_sso: SsoPresence,
    certificate_sweep: CertificateSweep,
) -> SsoServices:
    """Single sign-on's use cases; ``any_sso``: whether any org has it, remembered once for
    them and the sign-in gate; ``certificate_sweep``: the pass its scheduler runs too."""
    box, platform, hooks, schemas = (
        signed_in.signin.secret_box,
        shared.platform,
        shared.hooks,
        shared.schemas,
    )
    logout = bind_saml_logout(own, settings, signed_in)
    return SsoServices(
        connections=bind_connections(
            own, settings, orgs=orgs.orgs, box=box, platform=platform, any_sso=any_sso
        ),
        setup=bind_setup_links(
            own, settings, orgs=orgs.orgs, box=box, platform=platform, any_sso=any_sso
        ),
        certificate_sweep=certificate_sweep,
        saml=bind_saml(own, box=box, clock=platform.clock),
        saml_signin=bind_saml_signin(
            own, orgs=orgs, signed_in=signed_in, hooks=hooks, schemas=schemas, logout=logout
        ),
        saml_logout=logout,
        discovery=bind_discovery(own, settings, orgs=orgs, any_sso=any_sso),
        oidc_signin=bind_oidc_signin(
            own, settings, orgs=orgs, signed_in=signed_in, hooks=hooks, schemas=schemas
        ),
    )


def api() -> Sequence[Blueprint]:
    """The sso unit's blueprints of the JSON API, in the order they are registered."""
    from interfaces.http.routes.sso import connections, discovery, setup_links  # noqa: PLC0415 - loaded with the app

    return (connections.bp, discovery.bp, setup_links.bp)


def _org_commands() -> Sequence[click.Command]:
    from interfaces.cli import sso  # noqa: PLC0415 - when the command line asks

    return sso.ORG_COMMANDS


def limits(settings: Settings) -> dict[tuple[str, str], str]:
    """The per-address request limits of its JSON API routes (docs/security.md)."""
    # which domains sign in with an org's single sign-on, asked domain after domain
    return {("GET", "/sso/discover"): settings.group(SignInSettings).rate_limit_login}


def pages() -> Pages:
    """Single sign-on's pages: its flows (the OpenID callback limited as the SAML ACS), its
    setup, its section of an org's page, and home-realm discovery on the sign-in page."""
    from interfaces.shared.limits import LimitedAs  # noqa: PLC0415 - loaded with the app
    from interfaces.web import SAML_ACS  # noqa: PLC0415 - loaded with the app
    from interfaces.web.orgs.org import ORG_SECTIONS  # noqa: PLC0415 - loaded with the app
    from interfaces.web.parts import At, Pages  # noqa: PLC0415 - loaded with the app
    from interfaces.web.signin.signed_out import HOME_REALMS  # noqa: PLC0415 - loaded with the app
    from interfaces.web.sso import discovery, logout, oidc, saml, setup  # noqa: F401, PLC0415 - loaded with the app
    from interfaces.web.sso import org as sso_org  # noqa: PLC0415 - loaded with the app

    return Pages(
        fills=(ORG_SECTIONS(At(60, sso_org.SSO)), HOME_REALMS(discovery.HOME_REALM)),
        # An OpenID connection's IdP returns here as a SAML one posts to its ACS: one budget
        limited_as={
            ("GET", "/sso/<connection_id>/oidc/callback"): LimitedAs(*SAML_ACS, "pages.saml_acs"),
            # and so are the IdPs' logout messages at the SLO URL
            ("GET", "/sso/<connection_id>/saml/slo"): LimitedAs(*SAML_ACS, "pages.saml_acs"),
            ("POST", "/sso/<connection_id>/saml/slo"): LimitedAs(*SAML_ACS, "pages.saml_acs"),
        },
    )


# The core unit: its blueprints and pages (its adapters, use cases: ``build``, ``wire`` above).
def built(own: SsoAdapters, kernel: Kernel) -> Built:
    """Single sign-on's use cases (``wire``), on its parts and what else the kernel offers,
    and the orgs' adapters it holds."""
    parts = kernel.offered(SSO_PARTS)
    services = wire(
        own,
        kernel.settings,
        kernel.offered(SIGNED_IN),
        kernel.offered(SHARED),
        orgs=kernel.adapters_of(OrgsAdapters),
        any_sso=parts.any_sso,
        certificate_sweep=parts.certificate_sweep,
    )
    return Built(services=(services,))


UNIT = Unit[SsoAdapters](
    name="sso",
    makes=build,
    build=built,
    lends=lends,
    runs=runs,
    limits=limits,
    optional=False,
    settings=(SsoSettings,),
    api=api,
    pages=pages,
    cli=(Commands("orgs", _org_commands),),
    fills=(
        PAGES_CONFIGURED(sso_pages),  # the limit of the IdPs' answers
        OUTLASTING,
    ),
)
