"""Organizations: create one, list mine, read, change and delete one, and read its audit log
(docs/reference/orgs.md).

An org a person is not a member of does not exist for them (404 ``org_not_found``); what a
member may do is their roles' (``domain.orgs.orgs.Permission``). Every change is one commit
with its events (docs/decisions/0169-events-in-the-change-commit.md); a deleted org is gone
at once (a tombstone) and purged by a job (docs/decisions/0364-org-deletion.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from application.accounts.accounts import UserRepository
from application.accounts.admin import CLI_ACTOR, require_admin, user_named
from application.accounts.authentication import Actor
from application.events.security_events import SecurityEvents
from application.orgs.ports import OrgPart, OrgRepository
from application.orgs.sso_policy import SsoReadiness, check_sso_policy
from application.pagination import (
    Page,
    decode_cursor,
    paginate,
    parse_time_position,
    time_position,
)
from application.ports import Audit, AuditEvent, AuditLog, Clock, Job, JobQueue
from domain.events.security_events import SecurityEvent
from domain.orgs.orgs import (
    EDITABLE,
    Membership,
    Org,
    OrgRole,
    Permission,
    Slug,
    edited,
    not_found,
    require,
)

log = logging.getLogger("firegate.orgs")

PURGE_ORG = "purge_org"  # the job that deletes what a deleted org owns
PURGE_BATCH = 200  # documents per commit of a purge
MY_ORGS_MAX = 100  # the orgs GET /orgs lists, at most


@dataclass(frozen=True)
class OrgMembership:
    """An org as one of its members sees it, with their membership."""

    org: Org
    membership: Membership


def org_named(id_or_slug: str, orgs: OrgRepository) -> Org:
    """The live org an operator names (any org: the command line acts for the service)."""
    org = orgs.find(id_or_slug)
    if org is None:
        raise not_found()
    return org


def member_view(
    actor: Actor, id_or_slug: str, *, orgs: OrgRepository, permission: Permission | None = None
) -> OrgMembership:
    """The org ``id_or_slug`` and the actor's membership; 404 ``org_not_found`` unless a
    member, 403 ``org_permission_denied`` unless their roles grant ``permission``."""
    org = orgs.find(id_or_slug)
    membership = orgs.membership(org.id, actor.user_id) if org is not None else None
    if org is None or membership is None:
        raise not_found()
    if permission is not None:
        require(membership.roles, permission)
    return OrgMembership(org, membership)


@dataclass(frozen=True)
class CreateOrg:
    owner_id: str  # the person who creates it (an operator names them: ``actor_id``)
    slug: str
    name: str
    actor_id: str | None = None


def create_org(
    cmd: CreateOrg, *, orgs: OrgRepository, clock: Clock, audit: AuditLog
) -> OrgMembership:
    """A new org whose creator is its one owner; 409 ``slug_taken``."""
    now = clock.now()
    org = replace(Org.create(Slug(cmd.slug), cmd.name, now), member_version=1)
    owner = Membership(org.id, cmd.owner_id, (OrgRole.OWNER.value,), 1, now, now)
    created = AuditEvent(
        Audit.ORG_CREATED,
        user_id=cmd.owner_id,
        actor_id=cmd.actor_id,
        org_id=org.id,
    )
    staged = audit.stage([created])
    orgs.add(org, owner, staged)
    audit.committed(staged)
    return OrgMembership(org, owner)


@dataclass(frozen=True)
class ListMyOrgs:
    actor: Actor


def list_my_orgs(cmd: ListMyOrgs, *, orgs: OrgRepository) -> list[OrgMembership]:
    """The caller's orgs, by slug, with their roles in each."""
    pairs = orgs.memberships_of(cmd.actor.user_id, MY_ORGS_MAX)
    return [OrgMembership(org, membership) for org, membership in pairs]


@dataclass(frozen=True)
class GetOrg:
    actor: Actor
    org: str  # an id or a slug


def get_org(cmd: GetOrg, *, orgs: OrgRepository) -> OrgMembership:
    return member_view(cmd.actor, cmd.org, orgs=orgs)


@dataclass(frozen=True)
class UpdateOrg:
    actor: Actor
    org: str
    changes: tuple[tuple[str, object], ...]  # (field of EDITABLE, new value)


def update_org(
    cmd: UpdateOrg,
    *,
    orgs: OrgRepository,
    clock: Clock,
    audit: AuditLog,
    sso_ready: SsoReadiness,
) -> OrgMembership:
    """Admins change the org's settings (owners its single sign-on policy); 409
    ``slug_taken``, ``custom_role_in_use``, ``no_active_connection``."""
    seen = member_view(cmd.actor, cmd.org, orgs=orgs, permission=Permission.MANAGE_ORG)
    changes: Mapping[str, object] = dict(cmd.changes)
    now = clock.now()
    after = edited(seen.org, changes, now)  # 422 before any write
    check_sso_policy(seen.org, after, seen.membership, changes, orgs=orgs, sso_ready=sso_ready)
    names = tuple(name for name in EDITABLE if name in changes)
    event = AuditEvent(
        Audit.ORG_UPDATED,
        user_id=cmd.actor.user_id,
        org_id=seen.org.id,
        reason=",".join(names) or None,
    )
    staged = audit.stage([event])
    org = orgs.update(seen.org.id, lambda org: edited(org, changes, now), staged)
    audit.committed(staged)
    return OrgMembership(org, seen.membership)


@dataclass(frozen=True)
class DeleteOrg:
    actor: Actor
    org: str


def delete_org(
    cmd: DeleteOrg,
    *,
    orgs: OrgRepository,
    clock: Clock,
    audit: AuditLog,
    queue: JobQueue,
    purge: OrgPurge,
) -> None:
    """Owners delete the org: gone for everyone at once, its slug free; what it owns is purged
    by a job, in batches (inline when the queue refuses it)."""
    seen = member_view(cmd.actor, cmd.org, orgs=orgs, permission=Permission.DELETE_ORG)
    end_org(
        seen.org.id,
        cmd.actor.user_id,
        None,
        orgs=orgs,
        clock=clock,
        audit=audit,
        queue=queue,
        purge=purge,
    )


def end_org(
    org_id: str,
    user_id: str,
    actor_id: str | None,
    *,
    orgs: OrgRepository,
    clock: Clock,
    audit: AuditLog,
    queue: JobQueue,
    purge: OrgPurge,
    reason: str | None = None,
    check: Callable[[Org], None] = lambda org: None,
) -> None:
    """Tombstone the org (``org.deleted`` about ``user_id``, in the same commit, if ``check``
    passes on the org as the commit finds it), then queue its purge (or run it, when the
    queue refuses it)."""
    event = AuditEvent(
        Audit.ORG_DELETED, user_id=user_id, actor_id=actor_id, org_id=org_id, reason=reason
    )
    staged = audit.stage([event])
    orgs.mark_deleted(org_id, clock.now(), staged, check=check)
    audit.committed(staged)
    try:
        queue.enqueue(Job(PURGE_ORG, org_id))
    except Exception as error:  # the org is gone already; purge it here instead
        log.warning("org purge not queued (%s): purging inline", type(error).__name__)
        purge(org_id)


@dataclass(frozen=True)
class OrgPurge:
    """Everything a deleted org owns, deleted: each of ``parts`` (its invitations, its
    domains, ...: the list ``bootstrap/orgs.py`` makes, where a new kind is added), then its
    memberships and its document, last, which marks the purge as unfinished until then.
    Idempotent; a live org is left alone."""

    orgs: OrgRepository
    parts: Sequence[OrgPart]

    def __call__(self, org_id: str) -> None:
        if self.orgs.get(org_id) is not None:
            return
        for part in self.parts:
            part.delete_owned_by_org(org_id, PURGE_BATCH)
        self.orgs.purge(org_id, PURGE_BATCH)


def purge_org_job(job: Job, final: bool, *, purge: OrgPurge) -> None:
    """The job ``delete_org`` queues: the org's ``OrgPurge``."""
    purge(job.subject)


@dataclass(frozen=True)
class OrgEventQuery:
    actor: Actor
    org: str
    limit: int
    cursor: str | None = None


def list_org_events(
    query: OrgEventQuery, *, orgs: OrgRepository, events: SecurityEvents
) -> Page[SecurityEvent]:
    """The org's audit log, newest first, for its admins."""
    seen = member_view(query.actor, query.org, orgs=orgs, permission=Permission.MANAGE_ORG)
    position = decode_cursor(query.cursor)
    before = parse_time_position(position) if position is not None else None
    rows = events.list_org_page(seen.org.id, before, query.limit + 1)
    last = rows[query.limit - 1] if len(rows) > query.limit else None
    return paginate(rows, query.limit, time_position(last.at, last.id) if last else None)


# -- the operators' (the command line's) --------------------------------------------------------


@dataclass(frozen=True)
class OrgListQuery:
    limit: int
    cursor: str | None = None


def list_orgs(query: OrgListQuery, *, orgs: OrgRepository) -> Page[Org]:
    """Every live org, by id, paginated."""
    after = decode_cursor(query.cursor)
    rows = orgs.list_page(after, query.limit + 1)
    return paginate(
        rows, query.limit, rows[query.limit - 1].id if len(rows) > query.limit else None
    )


@dataclass(frozen=True)
class OperatorDeletion:
    org: str  # an id or a slug


def operator_delete_org(
    cmd: OperatorDeletion,
    *,
    orgs: OrgRepository,
    clock: Clock,
    audit: AuditLog,
    queue: JobQueue,
    purge: OrgPurge,
) -> Org:
    """An operator deletes any org, as its owners would."""
    org = org_named(cmd.org, orgs)
    end_org(
        org.id, CLI_ACTOR, CLI_ACTOR, orgs=orgs, clock=clock, audit=audit, queue=queue, purge=purge
    )
    return org


@dataclass(frozen=True)
class OperatorCreation:
    slug: str
    name: str
    owner: str  # a username or an e-mail address


def operator_create_org(
    cmd: OperatorCreation,
    *,
    orgs: OrgRepository,
    users: UserRepository,
    clock: Clock,
    audit: AuditLog,
) -> OrgMembership:
    """An operator creates an org for the person who will own it."""
    owner = user_named(cmd.owner, users)
    creation = CreateOrg(owner.id, cmd.slug, cmd.name, actor_id=CLI_ACTOR)
    return create_org(creation, orgs=orgs, clock=clock, audit=audit)


# -- firegate's admins' (the /admin/orgs page's) ------------------------------------------------


@dataclass(frozen=True)
class AdminOrgQuery:
    actor: Actor  # a firegate admin (the account's role), not an org's
    limit: int
    cursor: str | None = None


def admin_list_orgs(query: AdminOrgQuery, *, orgs: OrgRepository) -> Page[Org]:
    """Every live org, for firegate's admins (403 ``admin_required`` for anyone else)."""
    require_admin(query.actor)
    return list_orgs(OrgListQuery(query.limit, query.cursor), orgs=orgs)


@dataclass(frozen=True)
class AdminOrgDeletion:
    actor: Actor
    org: str  # an id or a slug


def admin_delete_org(
    cmd: AdminOrgDeletion,
    *,
    orgs: OrgRepository,
    clock: Clock,
    audit: AuditLog,
    queue: JobQueue,
    purge: OrgPurge,
) -> Org:
    """A firegate admin deletes any org, as an operator would; the event names the admin."""
    require_admin(cmd.actor)
    org = org_named(cmd.org, orgs)
    admin = cmd.actor.user_id
    end_org(org.id, admin, admin, orgs=orgs, clock=clock, audit=audit, queue=queue, purge=purge)
    return org
