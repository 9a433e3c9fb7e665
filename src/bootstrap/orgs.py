"""Organizations: their adapters, made from their settings, and their use cases bound to them
(docs/reference/orgs.md).

A use case is bound here with ``functools.partial``; what it needs of another capability is
named in its binding's signature (docs/decisions/0042-wiring-per-feature.md)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from application.accounts.accounts import UserRepository
from application.events.security_events import SecurityEvents
from application.jobs import JobHandler
from application.orgs.active import ActiveOrgServices, switch_org
from application.orgs.members import (
    add_member,
    change_member_roles,
    list_members,
    operator_remove_member,
    remove_member,
)
from application.orgs.orgs import (
    PURGE_ORG,
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
from application.orgs.ports import OrgRepository
from application.orgs.services import OrgServices
from application.ports import JobQueue
from bootstrap.accounts import AccountsAdapters
from bootstrap.platform import Platform
from bootstrap.signin import SigninAdapters

if TYPE_CHECKING:
    from google.cloud.firestore import Client


@dataclass(frozen=True)
class OrgsAdapters:
    orgs: OrgRepository


def build(client: Client) -> OrgsAdapters:
    from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository

    return OrgsAdapters(orgs=FirestoreOrgRepository(client))


def handlers(own: OrgsAdapters) -> dict[str, JobHandler]:
    """The organizations' jobs by kind: a deleted org's purge."""
    return {PURGE_ORG: partial(purge_org_job, orgs=own.orgs)}


def bind_orgs(
    own: OrgsAdapters,
    *,
    users: UserRepository,
    events: SecurityEvents,
    platform: Platform,
    queue: JobQueue,
) -> OrgServices:
    """``users``: whom the operators name; ``events``: the org's audit log is read from the
    security events; ``queue``: where a deleted org's purge goes."""
    orgs, clock, audit = own.orgs, platform.clock, platform.audit
    return OrgServices(
        create=partial(create_org, orgs=orgs, clock=clock, audit=audit),
        mine=partial(list_my_orgs, orgs=orgs),
        get=partial(get_org, orgs=orgs),
        update=partial(update_org, orgs=orgs, clock=clock, audit=audit),
        delete=partial(delete_org, orgs=orgs, clock=clock, audit=audit, queue=queue),
        events=partial(list_org_events, orgs=orgs, events=events),
        members=partial(list_members, orgs=orgs),
        change_roles=partial(change_member_roles, orgs=orgs, clock=clock, audit=audit),
        remove_member=partial(remove_member, orgs=orgs, clock=clock, audit=audit),
        create_for=partial(operator_create_org, orgs=orgs, users=users, clock=clock, audit=audit),
        list_all=partial(list_orgs, orgs=orgs),
        delete_any=partial(operator_delete_org, orgs=orgs, clock=clock, audit=audit, queue=queue),
        add_member=partial(add_member, orgs=orgs, users=users, clock=clock, audit=audit),
        remove_any_member=partial(
            operator_remove_member, orgs=orgs, users=users, clock=clock, audit=audit
        ),
    )


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
