"""Organizations: their adapters, made from their settings, and their use cases' objects
built on them (docs/reference/orgs.md).

What a use case needs of another capability is named in its builder's signature
(docs/decisions/0042-wiring-per-feature.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from application.accounts.accounts import AccountHooks, UserRepository
from application.accounts.addresses import AddressRule
from application.accounts.profile_schema import ProfileSchemas
from application.events.security_events import SecurityEvents
from application.jobs import JOBS, JobHandler
from application.orgs.access import AccessDecisions, MemberPermissions
from application.orgs.active import OrgSwitching
from application.orgs.joining.domains import (
    DomainHoldersOf,
    OrgDomains,
    TxtRecords,
    VerifiedDomains,
    VerifiedDomainsOf,
)
from application.orgs.joining.invitations import (
    SEND_ORG_INVITATION,
    InvitationMails,
    Invitations,
    OpenInvitations,
)
from application.orgs.joining.joining import AutoJoin, OrgJoining
from application.orgs.managed import ManagedAccounts
from application.orgs.members.members import MemberAttributes, OrgMembers, OrgRoles
from application.orgs.members.templates import RoleTemplates
from application.orgs.orgs import PURGE_ORG, OrgPurge, Orgs
from application.orgs.ports import (
    ORG_DOMAINS,
    ORG_REPOSITORY,
    OrgInvitationRepository,
    OrgRepository,
    OrgRoleRepository,
    ResourceScopes,
    RoleTemplateRepository,
)
from application.orgs.services import OrgServices
from application.orgs.sso_policy import ConnectionNames, SsoReadiness
from application.ports import JobQueue
from application.signin.ports import NO_TOKEN_HOOK, TokenHook
from bootstrap.accounts import (
    DOMAIN_HOLDERS,
    INVITED_ADDRESSES,
    PROVEN_HOOKS,
    SHARED,
    TOKEN_VERSION_COPIES,
    AccountsAdapters,
    Shared,
)
from bootstrap.events import EventsAdapters
from bootstrap.federation import SIGNED_IN, SignedIn
from bootstrap.mail import HOOKED_MAIL, MailAdapters, mail_settings
from bootstrap.orgs_parts import ORG_PARTS, OrgParts, lends_late
from bootstrap.platform import Platform
from bootstrap.signin_adapters import ACTIVE_ORGS, MEMBERSHIP_PARTS, SigninAdapters
from bootstrap.signin_policies import token_hook
from bootstrap.unit import Built, Footing, Kernel, Lent, Unit
from domain.accounts.outlasting import OUTLASTING_ROUTES, Outlasting
from domain.signin.claims.sources import ClaimSources
from domain.slots import Filling
from infrastructure.firestore.orgs.access import FirestoreMemberPermissions
from infrastructure.firestore.orgs.domains import FirestoreOrgDomains
from infrastructure.firestore.orgs.invitations import FirestoreOrgInvitationRepository
from infrastructure.firestore.orgs.membership_reads import FirestoreActiveOrgs, OrgMembershipPart
from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository
from infrastructure.firestore.orgs.roles import FirestoreOrgRoles
from infrastructure.firestore.orgs.templates import FirestoreRoleTemplates
from infrastructure.firestore.orgs.token_versions import MembershipTokenVersions
from infrastructure.orgs.dns import DnspythonTxtRecords
from infrastructure.settings import Settings
from infrastructure.settings.identity.mail import MailSettings
from infrastructure.settings.identity.signin import SignInSettings
from infrastructure.settings.orgs_and_apps.orgs import OrgSettings
from interfaces.cli import CommandGroup, Commands

if TYPE_CHECKING:
    import click
    from flask import Blueprint
    from google.cloud.firestore import Client

    from interfaces.web.parts import Pages


@dataclass(frozen=True)
class OrgsAdapters:
    orgs: OrgRepository
    invitations: OrgInvitationRepository
    domains: OrgDomains
    txt: TxtRecords  # the DNS lookups that verify a domain
    roles: OrgRoleRepository  # the orgs' role definitions and their holders' permissions
    templates: RoleTemplateRepository  # the roles every org has, and their holders'
    permissions: MemberPermissions  # the access decisions' one read


def prepares(_settings: Settings, client: Client) -> tuple[Filling[Any], ...]:
    """What the orgs prepare for the adapters below them (``Unit.prepares``), under their
    takers' keys: a session's active org as stored, and the memberships' copies of an
    account's token_version, which the accounts' user repository moves with the account's (the
    rules library reads them alone), the accounts' and mail's; the orgs' part of each
    request's read, sign-in's principals'."""
    return (
        ACTIVE_ORGS(FirestoreActiveOrgs(client)),
        TOKEN_VERSION_COPIES(MembershipTokenVersions(client)),
        MEMBERSHIP_PARTS(OrgMembershipPart()),
    )


def offers(own: OrgsAdapters) -> tuple[Filling[Any], ...]:
    """What the orgs offer the units: their repository (``ORG_REPOSITORY``), through which a
    unit that keeps an org's settings reads and changes them, and their verified domains
    (``ORG_DOMAINS``): which an org proved, which org proved one."""
    return ORG_REPOSITORY(own.orgs), ORG_DOMAINS(VerifiedDomainsOf(domains=own.domains))


def build(footing: Footing) -> OrgsAdapters:
    """Its adapters (``Unit.makes``) on ``footing``."""
    settings, client = footing.settings, footing.client
    return OrgsAdapters(
        orgs=FirestoreOrgRepository(client),
        invitations=FirestoreOrgInvitationRepository(client),
        domains=FirestoreOrgDomains(client),
        txt=DnspythonTxtRecords(settings.group(OrgSettings).dns_resolver),
        roles=FirestoreOrgRoles(client),
        templates=FirestoreRoleTemplates(client),
        permissions=FirestoreMemberPermissions(client),
    )


def bind_access(own: OrgsAdapters) -> AccessDecisions:
    """The access decisions: the memberships' permissions as they stand."""
    return AccessDecisions(permissions=own.permissions, orgs=own.orgs)


def handlers(purge: OrgPurge) -> dict[str, JobHandler]:
    """The organizations' jobs by kind: a deleted org's purge."""
    return {PURGE_ORG: purge.job}


def bind_orgs(
    own: OrgsAdapters,
    *,
    users: UserRepository,
    events: SecurityEvents,
    platform: Platform,
    queue: JobQueue,
    purge: OrgPurge,
    sso_ready: SsoReadiness,
    connection_names: ConnectionNames,
    managed: ManagedAccounts,
    creator_role: str,
) -> Orgs:
    """``users``: whom the operators name; ``events``: the org's audit log is read from the
    security events; ``queue``: where a deleted org's purge goes (``purge``: run inline
    when the queue refuses it); ``sso_ready``: whether an org has an active single sign-on
    connection (its owners may then require it); ``connection_names``: what its audit log
    calls the connections its events name; ``managed``: the accounts the org manages, which
    its deletion deletes."""
    return Orgs(
        orgs=own.orgs,
        users=users,
        security_events=events,
        clock=platform.clock,
        audit=platform.audit,
        queue=queue,
        purge=purge,
        sso_ready=sso_ready,
        connection_names=connection_names,
        managed=managed,
        templates=own.templates,
        creator_role=creator_role,
    )


def bind_members(own: OrgsAdapters, *, users: UserRepository, platform: Platform) -> OrgMembers:
    """``users``: whose usernames the org's pages list, whom the operators name."""
    return OrgMembers(orgs=own.orgs, users=users, clock=platform.clock, audit=platform.audit)


def bind_roles(own: OrgsAdapters, *, platform: Platform, scopes: ResourceScopes) -> OrgRoles:
    """``scopes``: the API resources' (the clients'), which roles may carry as permissions."""
    return OrgRoles(
        orgs=own.orgs,
        roles=own.roles,
        clock=platform.clock,
        audit=platform.audit,
        scopes=scopes,
    )


def bind_templates(
    own: OrgsAdapters, *, settings: Settings, platform: Platform, scopes: ResourceScopes
) -> RoleTemplates:
    """The deployment's role templates; ``scopes`` as ``bind_roles``'s."""
    return RoleTemplates(
        templates=own.templates,
        clock=platform.clock,
        scopes=scopes,
        creator_role=settings.group(OrgSettings).org_creator_role,
    )


def bind_member_attributes(
    own: OrgsAdapters, *, users: UserRepository, schemas: ProfileSchemas, platform: Platform
) -> MemberAttributes:
    """``users``: the members' accounts, which hold the attributes the ``schemas`` define."""
    return MemberAttributes(
        orgs=own.orgs, users=users, schemas=schemas, clock=platform.clock, domains=own.domains
    )


def bind_joining(own: OrgsAdapters, *, users: UserRepository, platform: Platform) -> OrgJoining:
    """Joining an org by its verified domain: ``users``, the caller's account."""
    return OrgJoining(
        orgs=own.orgs,
        domains=own.domains,
        users=users,
        clock=platform.clock,
        audit=platform.audit,
    )


def bind_active_org(
    *,
    accounts: AccountsAdapters,
    signin: SigninAdapters,
    platform: Platform,
    claims: ClaimSources,
    token_hook: TokenHook = NO_TOKEN_HOOK,
) -> OrgSwitching:
    """POST /auth/org: the session's active org, read as the per-request check reads it;
    ``token_hook``: the before_token hook, asked for its new access token, whose claims
    come from ``claims``."""
    return OrgSwitching(
        orgs=signin.active_orgs,
        sessions=signin.sessions,
        tokens=signin.tokens,
        clock=platform.clock,
        claims=claims,
        hook=token_hook,
    )


# Invitations


def bind_invitations(
    own: OrgsAdapters,
    settings: Settings,
    *,
    accounts: AccountsAdapters,
    platform: Platform,
    queue: JobQueue,
    hooks: AccountHooks,
    addresses: AddressRule,
) -> Invitations:
    """``hooks.proven``: what follows an address an accepted invitation proves;
    ``addresses``: the rule an invited address follows."""
    return Invitations(
        orgs=own.orgs,
        invitations=own.invitations,
        users=accounts.users,
        queue=queue,
        clock=platform.clock,
        audit=platform.audit,
        ttl=timedelta(seconds=settings.group(OrgSettings).org_invitation_ttl),
        proven=hooks.proven,
        addresses=addresses,
    )


def invitation_handlers(
    own: OrgsAdapters,
    settings: Settings,
    *,
    accounts: AccountsAdapters,
    mail: MailAdapters,
    platform: Platform,
) -> dict[str, JobHandler]:
    """The invitations' mail job: it issues the link's token and sends the mail."""
    mails = InvitationMails(
        invitations=own.invitations,
        orgs=own.orgs,
        users=accounts.users,
        renderer=mail.mail_renderer,
        mailer=mail.mailer,
        clock=platform.clock,
        settings=mail_settings(settings),
        metrics=platform.metrics,
        brands=mail.brands,
    )
    return {SEND_ORG_INVITATION: mails.send}


def bind_domains(own: OrgsAdapters, *, platform: Platform) -> VerifiedDomains:
    """An org's verified domains: found by DNS (DNS_RESOLVER), one org's each."""
    return VerifiedDomains(
        orgs=own.orgs,
        domains=own.domains,
        txt=own.txt,
        clock=platform.clock,
        audit=platform.audit,
    )


def lends(own: OrgsAdapters, kernel: Kernel) -> Lent:
    """What the orgs lend the accounts: their verified domains, which hold an address's
    special-use name (the address rule), their open invitations, which let an address sign
    up where sign-up is by invitation only (the sign-up rule), and what follows an address
    newly proven (``AccountHooks.proven``): the auto_join of the org that verified its
    domain; and what they offer the units that lend after them, and every unit then: their
    repository and verified domains (``ORG_REPOSITORY``, ``ORG_DOMAINS``: ``offers``)."""
    clock, audit = kernel.platform.clock, kernel.platform.audit
    auto_join = AutoJoin(orgs=own.orgs, domains=own.domains, clock=clock, audit=audit)
    return Lent(
        fills=(
            DOMAIN_HOLDERS(DomainHoldersOf(domains=own.domains)),
            INVITED_ADDRESSES(OpenInvitations(invitations=own.invitations, clock=clock)),
            PROVEN_HOOKS(auto_join.address_proven),
        ),
        offers=offers(own),
    )


def runs(own: OrgsAdapters, kernel: Kernel) -> Lent:
    """What the orgs run once the core's loans are made: a deleted org's purge and the
    invitations' mails (jobs)."""
    jobs = handlers(kernel.offered(ORG_PARTS).purge) | invitation_handlers(
        own,
        kernel.settings,
        accounts=kernel.adapters_of(AccountsAdapters),
        mail=kernel.offered(HOOKED_MAIL),
        platform=kernel.platform,
    )
    return Lent(fills=(JOBS(*jobs.items()),))


def wire(
    own: OrgsAdapters,
    settings: Settings,
    signed_in: SignedIn,
    shared: Shared,
    parts: OrgParts,
    *,
    events: SecurityEvents,
) -> OrgServices:
    """The orgs' use cases; ``events``: the security events an org's audit log reads."""
    platform, users = shared.platform, signed_in.accounts.users
    return OrgServices(
        access=bind_access(own),
        active=bind_active_org(
            accounts=signed_in.accounts,
            signin=signed_in.signin,
            platform=platform,
            claims=signed_in.rules.token_policy.claims,
            token_hook=token_hook(signed_in.hooks),
        ),
        orgs=bind_orgs(
            own,
            users=users,
            events=events,
            platform=platform,
            queue=shared.queue,
            purge=parts.purge,
            sso_ready=parts.sso_ready,
            connection_names=parts.connection_names,
            managed=parts.managed,
            creator_role=settings.group(OrgSettings).org_creator_role,
        ),
        members=bind_members(own, users=users, platform=platform),
        roles=bind_roles(own, platform=platform, scopes=parts.scopes),
        templates=bind_templates(own, settings=settings, platform=platform, scopes=parts.scopes),
        member_attributes=bind_member_attributes(
            own, users=users, schemas=shared.schemas, platform=platform
        ),
        joining=bind_joining(own, users=users, platform=platform),
        domains=bind_domains(own, platform=platform),
        invitations=bind_invitations(
            own,
            settings,
            accounts=signed_in.accounts,
            platform=platform,
            queue=shared.queue,
            hooks=shared.hooks,
            addresses=shared.addresses,
        ),
    )


def api() -> Sequence[Blueprint]:
    """The orgs unit's blueprints of the JSON API, in the order they are registered."""
    from interfaces.http.routes.orgs import (  # noqa: PLC0415 - loaded with the app
        access,
        active,
        domains,
        invitations,
        orgs,
        roles,
        templates,
    )

    return (
        orgs.bp,
        active.bp,
        domains.bp,
        invitations.bp,
        roles.bp,
        templates.bp,
        access.bp,
    )


def _orgs_commands() -> Sequence[click.Command]:
    from interfaces.cli import orgs  # noqa: PLC0415 - when the command line asks

    return orgs.COMMANDS


def _template_commands() -> Sequence[click.Command]:
    from interfaces.cli import orgs  # noqa: PLC0415 - when the command line asks

    return orgs.TEMPLATE_COMMANDS


def _rules_commands() -> Sequence[click.Command]:
    from interfaces.cli import rules  # noqa: PLC0415 - when the command line asks

    return rules.COMMANDS


def limits(settings: Settings) -> dict[tuple[str, str], str]:
    """The per-address request limits of its JSON API routes (docs/security.md)."""
    return {
        ("POST", "/auth/org"): settings.group(
            SignInSettings
        ).rate_limit_refresh,  # mints as a refresh does
        # an org invitation's token, spent as a mail's is; an invitation sends a mail
        ("POST", "/orgs/invitations/accept"): settings.group(MailSettings).rate_limit_email_verify,
        ("POST", "/orgs/<org>/invitations"): settings.group(
            MailSettings
        ).rate_limit_password_forgot,
    }


def pages() -> Pages:
    """The orgs' pages: an org's page (its frame) and its own sections, the orgs' switcher
    in the account area's header, joining by an invitation (limited as the API's route),
    and the API's addresses a browser is sent to their pages from."""
    from interfaces.shared.limits import LimitedAs  # noqa: PLC0415 - loaded with the app
    from interfaces.web.accounts.account import HEADER_PARTS  # noqa: PLC0415 - loaded with the app
    from interfaces.web.orgs import (  # noqa: F401, PLC0415 - loaded with the app
        admin,
        join,
        mine,
        org,
        roles,
    )
    from interfaces.web.parts import At, Pages  # noqa: PLC0415 - loaded with the app

    return Pages(
        fills=(
            org.ORG_SECTIONS(
                At(10, org.SETTINGS),
                At(20, org.MEMBERS),
                At(30, roles.ROLES),
                At(40, org.INVITATIONS),
                At(50, org.DOMAINS),
                At(100, org.EVENTS),
                At(110, org.DELETION),
            ),
            HEADER_PARTS(mine.org_switcher),
        ),
        limited_as={
            ("POST", "/orgs/join"): LimitedAs(
                "POST", "/orgs/invitations/accept", "org_invitations.accept_invitation"
            ),
        },
        before_request=(org.org_address, admin.templates_api_address),
        frames=(_org_frame,),
    )


def _org_frame(every: Pages) -> None:
    """An org's page's sections, by their place."""
    from interfaces.web.orgs import org  # noqa: PLC0415 - loaded with the app
    from interfaces.web.parts import in_place  # noqa: PLC0415 - loaded with the app

    org.install_org_page(in_place(every.of(org.ORG_SECTIONS)))


# The core unit: its blueprints and pages (its adapters, use cases: ``build``, ``wire`` above).
def built(own: OrgsAdapters, kernel: Kernel) -> Built:
    """The orgs' use cases (``wire``), on what the kernel offers and the events' adapters."""
    shared, parts = kernel.offered(SHARED), kernel.offered(ORG_PARTS)
    events = kernel.adapters_of(EventsAdapters).security_events
    made = wire(own, kernel.settings, kernel.offered(SIGNED_IN), shared, parts, events=events)
    return Built(services=(made,))


# Its routes that make or change what outlasts a session (an org's deletion, its invitations,
# roles and who holds them, its settings and domains), by kind: a session of support access is
# refused them (the accounts' ``OUTLASTING_ROUTES``).
_OUTLASTING = OUTLASTING_ROUTES(
    (
        Outlasting.DELETION,
        (
            ("DELETE", "/orgs/<org:org>"),
            ("POST", "/account/orgs/<org>/delete"),
        ),
    ),
    (
        Outlasting.INVITATIONS,
        (
            ("POST", "/orgs/<org>/invitations"),
            ("POST", "/account/orgs/<org>/invitations"),
        ),
    ),
    (
        Outlasting.ROLES,
        (
            ("PATCH", "/orgs/<org>/members/<user_id>"),
            ("DELETE", "/orgs/<org>/members/<user_id>"),
            ("PUT", "/orgs/<org>/roles/<role>"),
            ("DELETE", "/orgs/<org>/roles/<role>"),
            ("POST", "/orgs/<org>/join"),
            ("POST", "/orgs/invitations/accept"),
            ("POST", "/account/orgs/<org>/members/<user_id>/roles"),
            ("POST", "/account/orgs/<org>/members/<user_id>/remove"),
            ("POST", "/account/orgs/<org>/roles"),
            ("POST", "/account/orgs/<org>/roles/<role>"),
            ("POST", "/account/orgs/<org>/roles/<role>/delete"),
            ("POST", "/account/orgs/<org>/join"),
            ("POST", "/account/orgs/<org>/leave"),
            ("POST", "/orgs/join"),
        ),
    ),
    (
        Outlasting.ORG_SETTINGS,
        (
            ("PATCH", "/orgs/<org:org>"),
            ("POST", "/orgs/<org>/domains"),
            ("POST", "/orgs/<org>/domains/<domain>/verify"),
            ("DELETE", "/orgs/<org>/domains/<domain>"),
            ("POST", "/account/orgs/<org>/settings"),
            ("POST", "/account/orgs/<org>/domains"),
            ("POST", "/account/orgs/<org>/domains/<domain>/verify"),
            ("POST", "/account/orgs/<org>/domains/<domain>/delete"),
        ),
    ),
)


UNIT = Unit[OrgsAdapters](
    name="orgs",
    makes=build,
    prepares=prepares,
    build=built,
    lends=lends,
    lends_late=lends_late,
    runs=runs,
    limits=limits,
    optional=False,
    settings=(OrgSettings,),
    api=api,
    pages=pages,
    cli_groups=(
        CommandGroup("orgs", "Manage organizations (docs/reference/orgs.md)."),
        CommandGroup(
            "org-roles", "Manage the role templates every org has (docs/reference/orgs.md)."
        ),
        CommandGroup("rules", "firegate's library for firestore.rules (docs/organizations.md)."),
    ),
    cli=(
        Commands("orgs", _orgs_commands),
        Commands("org-roles", _template_commands),
        Commands("rules", _rules_commands),
    ),
    fills=(_OUTLASTING,),
)
