"""Organizations: create one, list mine, read, change and delete one, and read its audit log
(docs/reference/orgs.md).

An org a person is not a member of does not exist for them (404 ``org_not_found``); what a
member may do is their roles' (``domain.orgs.orgs.Permission``). Every change is one commit
with its events (docs/decisions/0169-events-in-the-change-commit.md); a deleted org is gone
at once (a tombstone) and purged by a job (docs/decisions/0364-org-deletion.md).

How its pages and API name people lives here too (``Person``, ``people``: by username and
name, and by address to those who manage the org's people, read in one batch;
docs/decisions/0464-an-org-s-people-by-name.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from application.accounts.accounts import UserRepository
from application.accounts.admin import CLI_ACTOR, require_admin, user_named
from application.events.security_events import SecurityEvents
from application.orgs.managed import ManagedAccounts
from application.orgs.ports import OrgPart, OrgRepository, RoleTemplateRepository
from application.orgs.sso_policy import ConnectionNames, SsoReadiness, check_sso_policy
from application.pagination import (
    Page,
    decode_cursor,
    paginate,
    parse_time_position,
    time_position,
)
from application.ports import Audit, AuditEvent, AuditLog, Clock, Job, JobQueue
from application.signin.authentication import Actor
from domain.events.security_events import SecurityEvent
from domain.orgs.orgs import (
    EDITABLE,
    ImpersonationPolicy,
    Membership,
    Org,
    OrgRole,
    Slug,
    allowed,
    creators_org,
    edited,
    new_member_version,
    require,
)
from domain.orgs.roles import Permission
from domain.signin.active_org import not_found


@dataclass(frozen=True)
class Person:
    user_id: str
    username: str | None = None  # None: an account deleted since (or never found)
    name: str | None = None
    last_name: str | None = None
    whole_name: str | None = None  # the given and family names, or the one a source gave
    email: str | None = None  # None: not shown to this reader, or the account has none


def people(users: UserRepository, user_ids: Iterable[str], *, addresses: bool) -> dict[str, Person]:
    """Each of ``user_ids`` as a ``Person`` (a deleted account by its id alone), with their
    address where ``addresses``."""
    wanted = list(dict.fromkeys(user_ids))
    found = users.get_many(wanted)
    named: dict[str, Person] = {}
    for user_id in wanted:
        user = found.get(user_id)
        if user is None or user.deleted_at is not None:
            named[user_id] = Person(user_id)
            continue
        named[user_id] = Person(
            user_id,
            username=user.shown_name,
            name=user.name,
            last_name=user.last_name,
            whole_name=user.whole_name,
            email=user.email.value if addresses and user.email is not None else None,
        )
    return named


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


def _allows_support(org: Org) -> bool:
    return org.impersonation is ImpersonationPolicy.ALLOW


def member_view(
    actor: Actor, id_or_slug: str, *, orgs: OrgRepository, permission: Permission | None = None
) -> OrgMembership:
    """The org ``id_or_slug`` and the actor's membership; 404 ``org_not_found`` unless a
    member, 403 ``org_permission_denied`` unless their roles grant ``permission``. A session
    of support access acts only in an org it may (``Session.check_acting_in``: 403
    ``impersonation_bound_to_org``, ``org_forbids_impersonation``)."""
    org = orgs.find(id_or_slug)
    membership = orgs.membership(org.id, actor.user_id) if org is not None else None
    if org is None or membership is None:
        raise not_found()
    if actor.session is not None:
        actor.session.check_acting_in(org.id, org_allows=_allows_support(org))
    if permission is not None:
        require(membership.roles, permission)
    return OrgMembership(org, membership)


@dataclass(frozen=True)
class CreateOrg:
    owner_id: str  # the person who creates it (an operator names them: ``actor_id``)
    slug: str
    name: str
    actor_id: str | None = None


@dataclass(frozen=True)
class ListMyOrgs:
    actor: Actor


@dataclass(frozen=True)
class GetOrg:
    actor: Actor
    org: str  # an id or a slug


@dataclass(frozen=True)
class UpdateOrg:
    actor: Actor
    org: str
    changes: tuple[tuple[str, object], ...]  # (field of EDITABLE, new value)


@dataclass(frozen=True)
class DeleteOrg:
    actor: Actor
    org: str


@dataclass(frozen=True)
class OrgEventQuery:
    actor: Actor
    org: str
    limit: int
    cursor: str | None = None


@dataclass(frozen=True)
class OrgEventLine:
    """An event of the org's audit log as its pages show it: about whom, by whom, and the
    single sign-on connection it names by name (docs/reference/orgs.md, "Events")."""

    event: SecurityEvent
    person: Person
    actor: Person | None  # None: nobody else acted (or the command line did)
    connection: str | None  # the name of the connection that ``event.reason`` names

    @property
    def by_command_line(self) -> bool:
        return self.actor is not None and self.actor.user_id == CLI_ACTOR


@dataclass(frozen=True)
class OrgListQuery:
    limit: int
    cursor: str | None = None


@dataclass(frozen=True)
class OperatorDeletion:
    org: str  # an id or a slug


@dataclass(frozen=True)
class OperatorCreation:
    slug: str
    name: str
    owner: str  # a username or an e-mail address


@dataclass(frozen=True)
class AdminOrgQuery:
    actor: Actor  # a firegate admin (the account's role), not an org's
    limit: int
    cursor: str | None = None


@dataclass(frozen=True)
class AdminOrgDeletion:
    actor: Actor
    org: str  # an id or a slug


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

    def job(self, job: Job, final: bool) -> None:
        """The PURGE_ORG job a deletion queues: the purge of the org it names."""
        self(job.subject)


@dataclass(frozen=True, kw_only=True, slots=True)
class Orgs:
    """Organizations: their members create, list, read, change and delete them and read
    their audit log; the operators (the command line) and firegate's admins (/admin/orgs)
    list and delete any.

    ``users``: whom the operators name; ``security_events``: the org's audit log is read
    from them; ``queue``: where a deleted org's purge goes (``purge``: run
    inline when the queue refuses it); ``sso_ready``: whether an org has an active single
    sign-on connection (its owners may then require it); ``connection_names``: what the
    audit log's pages call the connections its events name; ``managed``: the accounts
    the org manages, which its deletion deletes."""

    orgs: OrgRepository
    users: UserRepository
    security_events: SecurityEvents
    clock: Clock
    audit: AuditLog
    queue: JobQueue
    purge: OrgPurge
    sso_ready: SsoReadiness
    connection_names: ConnectionNames
    managed: ManagedAccounts
    templates: RoleTemplateRepository
    # ORG_CREATOR_ROLE: what an org's creator gets, owner, admin, member or a role template
    # (docs/decisions/0583-the-creators-role.md)
    creator_role: str = OrgRole.OWNER.value

    def create(self, cmd: CreateOrg) -> OrgMembership:
        """A new org whose creator holds ``creator_role`` (its one owner by default); 409
        ``slug_taken``, ``creator_role_missing`` when that names a template no longer
        defined."""
        now = self.clock.now()
        org = Org.create(Slug(cmd.slug), cmd.name, now)
        role = self.creator_role
        if role != OrgRole.OWNER:
            org = creators_org(org, role, self.templates.templates())
        owner = Membership(
            org.id, cmd.owner_id, (role,), new_member_version(), now, now
        ).resolved_in(org)
        created = AuditEvent(
            Audit.ORG_CREATED,
            user_id=cmd.owner_id,
            actor_id=cmd.actor_id,
            org_id=org.id,
        )
        staged = self.audit.stage([created])
        self.orgs.add(org, owner, staged)
        self.audit.committed(staged)
        return OrgMembership(org, owner)

    def mine(self, cmd: ListMyOrgs) -> list[OrgMembership]:
        """The caller's orgs, by slug, with their roles in each; for a session of support
        access, those it may act in."""
        pairs = self.orgs.memberships_of(cmd.actor.user_id, MY_ORGS_MAX)
        session = cmd.actor.session
        return [
            OrgMembership(org, membership)
            for org, membership in pairs
            if session is None or session.may_act_in(org.id, org_allows=_allows_support(org))
        ]

    def get(self, cmd: GetOrg) -> OrgMembership:
        return member_view(cmd.actor, cmd.org, orgs=self.orgs)

    def update(self, cmd: UpdateOrg) -> OrgMembership:
        """Admins change the org's settings (owners its single sign-on policy and its
        ``impersonation``); 409
        ``slug_taken``, ``custom_role_in_use``, ``no_active_connection``."""
        orgs = self.orgs
        seen = member_view(cmd.actor, cmd.org, orgs=orgs, permission=Permission.MANAGE_ORG)
        changes: Mapping[str, object] = dict(cmd.changes)
        if "impersonation" in changes:  # whether its admins act as members: the owners' say
            require(seen.membership.roles, Permission.MANAGE_OWNERS)
        now = self.clock.now()
        after = edited(seen.org, changes, now)  # 422 before any write
        check_sso_policy(
            seen.org, after, seen.membership, changes, orgs=orgs, sso_ready=self.sso_ready
        )
        names = tuple(name for name in EDITABLE if name in changes)
        event = AuditEvent(
            Audit.ORG_UPDATED,
            user_id=cmd.actor.user_id,
            org_id=seen.org.id,
            reason=",".join(names) or None,
        )
        staged = self.audit.stage([event])
        org = orgs.update(seen.org.id, lambda org: edited(org, changes, now), staged)
        self.audit.committed(staged)
        return OrgMembership(org, seen.membership)

    def delete(self, cmd: DeleteOrg) -> None:
        """Owners delete the org: gone for everyone at once, its slug free; what it owns,
        the accounts it manages first, is purged by a job, in batches (inline when the queue
        refuses it)."""
        seen = member_view(cmd.actor, cmd.org, orgs=self.orgs, permission=Permission.DELETE_ORG)
        self._end(seen.org.id, cmd.actor.user_id, None)

    def managed_accounts(self, cmd: GetOrg) -> int:
        """How many accounts the org manages, which its deletion deletes with it (for its
        owners' confirmation; docs/decisions/0468-deleting-an-org-deletes-its-accounts.md)."""
        seen = member_view(cmd.actor, cmd.org, orgs=self.orgs, permission=Permission.DELETE_ORG)
        return self.managed.count(seen.org.id)

    def _end(self, org_id: str, user_id: str, actor_id: str | None) -> None:
        end_org(
            org_id,
            user_id,
            actor_id,
            orgs=self.orgs,
            clock=self.clock,
            audit=self.audit,
            queue=self.queue,
            purge=self.purge,
        )

    def events(self, query: OrgEventQuery) -> Page[SecurityEvent]:
        """The org's audit log, newest first, for its admins."""
        seen = member_view(query.actor, query.org, orgs=self.orgs, permission=Permission.MANAGE_ORG)
        return self._events_of(seen.org.id, query)

    def _events_of(self, org_id: str, query: OrgEventQuery) -> Page[SecurityEvent]:
        position = decode_cursor(query.cursor)
        before = parse_time_position(position) if position is not None else None
        rows = self.security_events.list_org_page(org_id, before, query.limit + 1)
        last = rows[query.limit - 1] if len(rows) > query.limit else None
        return paginate(rows, query.limit, time_position(last.at, last.id) if last else None)

    def event_log(self, query: OrgEventQuery) -> Page[OrgEventLine]:
        """``events``, each with the people it is about and by (one batch read of their
        accounts, their addresses to those who manage members) and the connection it
        names."""
        seen = member_view(query.actor, query.org, orgs=self.orgs, permission=Permission.MANAGE_ORG)
        page = self._events_of(seen.org.id, query)
        addresses = allowed(seen.membership.roles, Permission.MANAGE_MEMBERS)
        ids = [e.user_id for e in page.items] + [e.actor_id for e in page.items if e.actor_id]
        named = people(self.users, (i for i in ids if i != CLI_ACTOR), addresses=addresses)
        named[CLI_ACTOR] = Person(CLI_ACTOR)
        connections = self.connection_names(seen.org.id) if page.items else {}
        lines = [
            OrgEventLine(
                event,
                named[event.user_id],
                named.get(event.actor_id or "") if event.actor_id != event.user_id else None,
                connections.get(event.reason or ""),
            )
            for event in page.items
        ]
        return Page(lines, page.next_cursor)

    # -- the operators' (the command line's) ----------------------------------------------------

    def list_all(self, query: OrgListQuery) -> Page[Org]:
        """Every live org, by id, paginated."""
        after = decode_cursor(query.cursor)
        rows = self.orgs.list_page(after, query.limit + 1)
        return paginate(
            rows, query.limit, rows[query.limit - 1].id if len(rows) > query.limit else None
        )

    def delete_any(self, cmd: OperatorDeletion) -> Org:
        """An operator deletes any org, as its owners would."""
        org = org_named(cmd.org, self.orgs)
        self._end(org.id, CLI_ACTOR, CLI_ACTOR)
        return org

    def create_for(self, cmd: OperatorCreation) -> OrgMembership:
        """An operator creates an org for the person who will own it."""
        owner = user_named(cmd.owner, self.users)
        return self.create(CreateOrg(owner.id, cmd.slug, cmd.name, actor_id=CLI_ACTOR))

    # -- firegate's admins' (the /admin/orgs page's) --------------------------------------------

    def admin_list(self, query: AdminOrgQuery) -> Page[Org]:
        """Every live org, for firegate's admins (403 ``admin_required`` for anyone else)."""
        require_admin(query.actor)
        return self.list_all(OrgListQuery(query.limit, query.cursor))

    def admin_delete(self, cmd: AdminOrgDeletion) -> Org:
        """A firegate admin deletes any org, as an operator would; the event names the
        admin."""
        require_admin(cmd.actor)
        org = org_named(cmd.org, self.orgs)
        admin = cmd.actor.user_id
        self._end(org.id, admin, admin)
        return org
