"""An org's directory pushes its groups over SCIM: created, read, searched, their members
patched, deleted; a group named after one of the org's roles gives its members that role
(docs/reference/scim.md, "Groups"; docs/decisions/0406-scim-groups-name-roles.md), with the
rights of whoever made the directory's SCIM token: a group that would give more is refused
(docs/decisions/0509-a-refused-grant-of-a-directory-or-a-connection.md)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from application.orgs.members.grants import is_escalation, record_refused_grant
from application.orgs.ports import OrgRepository
from application.ports import Audit, AuditEvent, AuditLog, Clock
from application.scim.ports import ScimGroups, ScimUsers
from application.scim.search import Found, Search, search_records
from application.scim.users import VIA
from domain.errors import InvalidInput, NotFound, PermissionDenied
from domain.ids import new_id
from domain.orgs.orgs import Org, RoleSource
from domain.orgs.roles import Granter, check_granted
from domain.scim.groups import (
    ScimGroup,
    checked_display_name,
    checked_group,
    checked_members,
    mapped_role,
    no_such_group,
    roles_for,
)
from domain.scim.users import version_mismatch

GROUPS_READ = 1000  # the org's groups read to apply their roles


@dataclass(frozen=True)
class GroupFields:
    display_name: object
    members: tuple[str, ...] = ()
    external_id: str | None = None
    document: str = "{}"


@dataclass(frozen=True)
class CreateGroup:
    org: Org
    fields: GroupFields
    by: str = ""  # who made the SCIM token the change came with (``Directory.made_by``)


@dataclass(frozen=True)
class GroupRef:
    org: Org
    group_id: str


@dataclass(frozen=True)
class ReplaceGroup:
    org: Org
    group_id: str
    fields: GroupFields
    expected_version: int
    by: str = ""  # who made the SCIM token the change came with


@dataclass(frozen=True)
class RemoveGroup:
    org: Org
    group_id: str
    expected_version: int | None = None
    by: str = ""  # who made the SCIM token the removal came with


def _newly_given(before: ScimGroup | None, after: ScimGroup, org: Org) -> tuple[str, ...]:
    """The role ``after`` gives members it did not give them as ``before`` (None: a new
    group): all its members when it names another role, else those it gains."""
    role = mapped_role(after.display_name, org)
    if role is None:
        return ()
    kept = before is not None and mapped_role(before.display_name, org) == role
    gained = set(after.members) - set(before.members if before is not None and kept else ())
    return (role,) if gained else ()


@dataclass(frozen=True, kw_only=True, slots=True)
class DirectoryGroups:
    """An org's groups as its directory pushes them; the roles they give follow.

    ``users``: the org's SCIM users, a group's members; ``orgs``: the memberships
    whose roles the groups give."""

    groups: ScimGroups
    users: ScimUsers
    orgs: OrgRepository
    clock: Clock
    audit: AuditLog

    def _members(self, org: Org, members: Iterable[str]) -> tuple[str, ...]:
        checked = checked_members(members)
        unknown = [m for m in checked if self.users.get(org.id, m) is None]
        if unknown:
            raise InvalidInput.field("members", "Not users of this organization.", "unknown_member")
        return checked

    def create(self, cmd: CreateGroup) -> ScimGroup:
        now = self.clock.now()
        group = checked_group(
            ScimGroup(
                org_id=cmd.org.id,
                group_id=new_id(),
                display_name=checked_display_name(cmd.fields.display_name),
                members=self._members(cmd.org, cmd.fields.members),
                created_at=now,
                updated_at=now,
                version=1,
                external_id=cmd.fields.external_id,
                document=cmd.fields.document,
            )
        )
        self._may_give(cmd.org, _newly_given(None, group, cmd.org), cmd.by)
        self.groups.add(group)
        self._apply_roles(cmd.org, group.members, cmd.by)
        return group

    def get(self, cmd: GroupRef) -> ScimGroup:
        found = self.groups.get(cmd.org.id, cmd.group_id)
        if found is None:
            raise no_such_group()
        return found

    def replace(self, cmd: ReplaceGroup) -> ScimGroup:
        """The group as the directory now describes it (PUT, or PATCH of its members), at the
        version it was read at; the roles of whoever joined or left it follow."""
        current = self.get(GroupRef(cmd.org, cmd.group_id))
        if current.version != cmd.expected_version:
            raise version_mismatch()
        changed = checked_group(
            replace(
                current,
                display_name=checked_display_name(cmd.fields.display_name),
                members=self._members(cmd.org, cmd.fields.members),
                external_id=cmd.fields.external_id,
                document=cmd.fields.document,
                updated_at=self.clock.now(),
                version=current.version + 1,
            )
        )
        self._may_give(cmd.org, _newly_given(current, changed, cmd.org), cmd.by)
        stored = self.groups.replace(changed, current.version)
        self._apply_roles(cmd.org, {*current.members, *changed.members}, cmd.by)
        return stored

    def remove(self, cmd: RemoveGroup) -> None:
        current = self.get(GroupRef(cmd.org, cmd.group_id))
        if cmd.expected_version is not None and current.version != cmd.expected_version:
            raise version_mismatch()
        if not self.groups.remove(cmd.org.id, cmd.group_id, current.version):
            raise no_such_group()
        self._apply_roles(cmd.org, current.members, cmd.by)

    def search(self, cmd: Search[ScimGroup]) -> Found[ScimGroup]:
        """A page of the org's groups that match (``search_records``)."""
        return search_records(cmd, records=self.groups)

    def _may_give(self, org: Org, roles: tuple[str, ...], by: str) -> None:
        """403 ``permission_escalation`` before anything is stored when the group would give
        a role its token's maker (``by``) may not: a refused SCIM write writes nothing. The
        commit of each member's roles checks again (``_apply_roles``)."""
        if not roles:
            return
        defined = self.orgs.get(org.id)  # the token's read of the org has no definitions
        if defined is None:
            raise NotFound("No such organization.", code="org_not_found")
        maker = self.orgs.membership(org.id, by) if by else None
        check_granted(
            Granter.scim(by), maker.roles if maker is not None else None, roles, defined.definitions
        )

    def _apply_roles(self, org: Org, user_ids: Iterable[str], by: str) -> None:
        """Each of ``user_ids`` who is a member of the org holds the roles the org's groups
        give them as the directory's own: only those are replaced, what an admin or the SSO
        mapping gave stays (``RoleSource``; ``org.member_roles_changed`` with ``reason`` scim
        when they change). Read from the groups as stored, a group renamed or deleted gives
        what it now does. Given with the rights of the token's maker (``by``) as each commit
        reads them: a member's change they may not make is refused, recorded, and keeps the
        roles the member had; the others go on, and the answer is then a 403
        ``permission_escalation`` (the group stays as stored)."""
        orgs, audit = self.orgs, self.audit
        granter = Granter.scim(by)
        every = self.groups.page(org.id, 0, GROUPS_READ)
        refusal: PermissionDenied | None = None
        for user_id in sorted(set(user_ids)):
            membership = orgs.membership(org.id, user_id)
            if membership is None:
                continue
            wanted = roles_for(every, user_id, org)
            if set(wanted) == set(membership.scim_roles):
                continue
            event = AuditEvent(
                Audit.ORG_MEMBER_ROLES_CHANGED, user_id=user_id, org_id=org.id, reason=VIA, via=VIA
            )
            staged = audit.stage([event])
            try:
                orgs.change_roles(
                    org.id,
                    user_id,
                    wanted,
                    self.clock.now(),
                    staged,
                    granter=granter,
                    source=RoleSource.SCIM,
                )
            except NotFound:
                continue  # left meanwhile
            except PermissionDenied as denied:
                if not is_escalation(denied):
                    raise
                record_refused_grant(org.id, user_id, wanted, granter, via=VIA, audit=audit)
                refusal = denied
                continue
            audit.committed(staged)
        if refusal is not None:
            raise refusal
