"""Organizations: their adapters, made from their settings, and their use cases bound to them
(docs/reference/orgs.md).

A use case is bound here with ``functools.partial``; what it needs of another capability is
named in its binding's signature (docs/decisions/0042-wiring-per-feature.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING

from application.accounts.accounts import AccountHooks, UserRepository
from application.events.security_events import SecurityEvents
from application.jobs import JobHandler
from application.orgs.active import ActiveOrgServices, switch_org
from application.orgs.departures import OrgDepartures
from application.orgs.domains import (
    OrgDomains,
    OrgDomainServices,
    TxtRecords,
    add_org_domain,
    delete_org_domain,
    list_org_domains,
    verify_org_domain,
)
from application.orgs.invitations import (
    SEND_ORG_INVITATION,
    OrgInvitationServices,
    accept_invitation,
    invite_to_org,
    list_invitations,
    look_up_invitation,
    revoke_invitation,
    send_invitation,
)
from application.orgs.joining import address_proven as join_when_proven
from application.orgs.joining import join_org, suggested_orgs
from application.orgs.members import (
    add_member,
    change_member_roles,
    list_members,
    list_named_members,
    operator_remove_member,
    remove_member,
)
from application.orgs.orgs import (
    PURGE_ORG,
    OrgPurge,
    admin_delete_org,
    admin_list_orgs,
    create_org,
    delete_org,
    get_org,
    list_my_orgs,
    list_org_events,
    list_orgs,
    operator_create_org,
    operator_delete_org,
    purge_org_job,
    update_org,
)
from application.orgs.ports import OrgInvitationRepository, OrgPart, OrgRepository
from application.orgs.services import OrgServices
from application.orgs.sso_policy import SsoReadiness
from application.ports import JobQueue
from bootstrap.accounts import AccountsAdapters
from bootstrap.mail import MailAdapters, mail_settings
from bootstrap.platform import Platform
from bootstrap.signin import SigninAdapters
from domain.accounts.users import User
from infrastructure.firestore.orgs.domains import FirestoreOrgDomains
from infrastructure.firestore.orgs.invitations import FirestoreOrgInvitationRepository
from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository
from infrastructure.orgs.dns import DnspythonTxtRecords
from infrastructure.settings import Settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client


@dataclass(frozen=True)
class OrgsAdapters:
    orgs: OrgRepository
    invitations: OrgInvitationRepository
    domains: OrgDomains
    txt: TxtRecords  # the DNS lookups that verify a domain


def build(settings: Settings, client: Client) -> OrgsAdapters:
    return OrgsAdapters(
        orgs=FirestoreOrgRepository(client),
        invitations=FirestoreOrgInvitationRepository(client),
        domains=FirestoreOrgDomains(client),
        txt=DnspythonTxtRecords(settings.orgs.dns_resolver),
    )


def org_purge(own: OrgsAdapters, others: Sequence[OrgPart] = ()) -> OrgPurge:
    """What a deleted org owns, each kind a part its purge deletes before the org's
    memberships and its document: a new kind is added here, or, another capability's
    (the org's clients and tokens), in ``others`` (docs/decisions/0364-org-deletion.md)."""
    return OrgPurge(own.orgs, parts=(own.invitations, own.domains, *others))


def handlers(purge: OrgPurge) -> dict[str, JobHandler]:
    """The organizations' jobs by kind: a deleted org's purge."""
    return {PURGE_ORG: partial(purge_org_job, purge=purge)}


def bind_orgs(
    own: OrgsAdapters,
    *,
    users: UserRepository,
    events: SecurityEvents,
    platform: Platform,
    queue: JobQueue,
    purge: OrgPurge,
    sso_ready: SsoReadiness,
) -> OrgServices:
    """``users``: whom the operators name; ``events``: the org's audit log is read from the
    security events; ``queue``: where a deleted org's purge goes (``purge``: run inline
    when the queue refuses it); ``sso_ready``: whether an org has an active single sign-on
    connection (its owners may then require it)."""
    orgs, domains, clock, audit = own.orgs, own.domains, platform.clock, platform.audit
    return OrgServices(
        create=partial(create_org, orgs=orgs, clock=clock, audit=audit),
        mine=partial(list_my_orgs, orgs=orgs),
        get=partial(get_org, orgs=orgs),
        update=partial(update_org, orgs=orgs, clock=clock, audit=audit, sso_ready=sso_ready),
        delete=partial(delete_org, orgs=orgs, clock=clock, audit=audit, queue=queue, purge=purge),
        events=partial(list_org_events, orgs=orgs, events=events),
        members=partial(list_members, orgs=orgs),
        named_members=partial(list_named_members, orgs=orgs, users=users),
        change_roles=partial(change_member_roles, orgs=orgs, clock=clock, audit=audit),
        remove_member=partial(remove_member, orgs=orgs, clock=clock, audit=audit),
        suggested=partial(suggested_orgs, orgs=orgs, domains=domains, users=users),
        join=partial(join_org, orgs=orgs, domains=domains, users=users, clock=clock, audit=audit),
        create_for=partial(operator_create_org, orgs=orgs, users=users, clock=clock, audit=audit),
        list_all=partial(list_orgs, orgs=orgs),
        delete_any=partial(
            operator_delete_org, orgs=orgs, clock=clock, audit=audit, queue=queue, purge=purge
        ),
        add_member=partial(add_member, orgs=orgs, users=users, clock=clock, audit=audit),
        remove_any_member=partial(
            operator_remove_member, orgs=orgs, users=users, clock=clock, audit=audit
        ),
        admin_list=partial(admin_list_orgs, orgs=orgs),
        admin_delete=partial(
            admin_delete_org, orgs=orgs, clock=clock, audit=audit, queue=queue, purge=purge
        ),
    )


def address_proven(own: OrgsAdapters, *, platform: Platform) -> Callable[[User], None]:
    """What follows an address newly proven (``AccountHooks.proven``): the auto_join of the
    org that verified its domain."""
    return partial(
        join_when_proven,
        orgs=own.orgs,
        domains=own.domains,
        clock=platform.clock,
        audit=platform.audit,
    )


def departures(
    own: OrgsAdapters, *, platform: Platform, queue: JobQueue, purge: OrgPurge
) -> OrgDepartures:
    """An account's memberships, ended before it is deleted (the last owner's rule) and by
    its purge; ``queue``: where an org deleted with its only member is purged."""
    return OrgDepartures(own.orgs, platform.clock, platform.audit, queue, purge)


def bind_active_org(
    *, accounts: AccountsAdapters, signin: SigninAdapters, platform: Platform
) -> ActiveOrgServices:
    """POST /auth/org: the session's active org, read as the per-request check reads it."""
    return ActiveOrgServices(
        switch=partial(
            switch_org,
            orgs=accounts.active_orgs,
            sessions=signin.sessions,
            tokens=signin.tokens,
            clock=platform.clock,
        )
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
) -> OrgInvitationServices:
    """``hooks.proven``: what follows an address an accepted invitation proves."""
    orgs, invitations, users, clock = own.orgs, own.invitations, accounts.users, platform.clock
    return OrgInvitationServices(
        create=partial(
            invite_to_org,
            orgs=orgs,
            invitations=invitations,
            queue=queue,
            clock=clock,
            audit=platform.audit,
            ttl=timedelta(seconds=settings.orgs.org_invitation_ttl),
        ),
        list=partial(list_invitations, orgs=orgs, invitations=invitations),
        revoke=partial(revoke_invitation, orgs=orgs, invitations=invitations),
        accept=partial(
            accept_invitation,
            invitations=invitations,
            orgs=orgs,
            users=users,
            clock=clock,
            audit=platform.audit,
            proven=hooks.proven,
        ),
        look_up=partial(
            look_up_invitation, invitations=invitations, orgs=orgs, users=users, clock=clock
        ),
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
    return {
        SEND_ORG_INVITATION: partial(
            send_invitation,
            invitations=own.invitations,
            orgs=own.orgs,
            users=accounts.users,
            renderer=mail.mail_renderer,
            mailer=mail.mailer,
            clock=platform.clock,
            settings=mail_settings(settings),
            metrics=platform.metrics,
        )
    }


def bind_domains(own: OrgsAdapters, *, platform: Platform) -> OrgDomainServices:
    """An org's verified domains: found by DNS (DNS_RESOLVER), one org's each."""
    orgs, domains = own.orgs, own.domains
    return OrgDomainServices(
        add=partial(add_org_domain, orgs=orgs, domains=domains, clock=platform.clock),
        list=partial(list_org_domains, orgs=orgs, domains=domains),
        verify=partial(
            verify_org_domain,
            orgs=orgs,
            domains=domains,
            txt=own.txt,
            clock=platform.clock,
            audit=platform.audit,
        ),
        delete=partial(delete_org_domain, orgs=orgs, domains=domains),
    )
