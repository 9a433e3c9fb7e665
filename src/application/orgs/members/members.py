"""An org's members: list them, change their roles, remove them (or leave), and the
operators' additions from the command line; the org's roles and their permissions; the
members' profile attributes, as the org's admins read and write them (docs/reference/orgs.md).

Admins manage members; only owners make, demote or remove an owner; the last owner stays
(409 ``last_owner``, counted in the commit: ``OrgRepository.change_roles``). Nobody gives a
role holding a permission they lack (403 ``permission_escalation``, checked on the granter's
roles as the commit reads them); owners define the roles
(docs/decisions/0489-org-roles-with-permissions.md).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass

from application.accounts.accounts import UserRepository
from application.accounts.admin import CLI_ACTOR, user_named
from application.accounts.profile_schema import ProfileSchemas
from application.orgs.joining.domains import OrgDomains
from application.orgs.members.attributes import check_org_writes_on
from application.orgs.orgs import OrgMembership, Person, member_view, org_named, people
from application.orgs.ports import (
    NO_RESOURCE_SCOPES,
    OrgRepository,
    OrgRoleRepository,
    ResourceScopes,
)
from application.pagination import Page, decode_cursor, paginate
from application.ports import Audit, AuditEvent, AuditLog, Clock
from application.signin.authentication import Actor
from domain.accounts.attributes import ORG_ADMIN
from domain.accounts.users import User
from domain.errors import Conflict, NotFound
from domain.orgs.orgs import (
    BUILT_IN_ROLES,
    Membership,
    Org,
    OrgRole,
    allowed,
    checked_roles,
    require,
)
from domain.orgs.roles import (
    Granter,
    Permission,
    checked_definition,
    checked_role_name,
    template_role,
)


def _member(orgs: OrgRepository, org_id: str, user_id: str) -> Membership:
    member = orgs.membership(org_id, user_id)
    if member is None:
        raise NotFound("No such member of this organization.", code="member_not_found")
    return member


def _other(actor: Actor, user_id: str) -> str | None:
    """An event's ``actor_id``: who acted, when not the member it is about."""
    return actor.user_id if actor.user_id != user_id else None


def _may_manage(seen: OrgMembership, *roles: tuple[str, ...]) -> None:
    """An owner among ``roles`` (a member's before or after) is an owner's to change."""
    if any(OrgRole.OWNER in held for held in roles):
        require(seen.membership.roles, Permission.MANAGE_OWNERS)


@dataclass(frozen=True)
class MemberQuery:
    actor: Actor
    org: str
    limit: int
    cursor: str | None = None


@dataclass(frozen=True)
class NamedMember:
    """A member as the org's pages and API list them: with the account's names."""

    membership: Membership
    person: Person  # its username None: an account deleted since (membership not yet purged)


@dataclass(frozen=True)
class ChangeRoles:
    actor: Actor
    org: str
    user_id: str
    roles: object  # as given: a list of role names, checked here


@dataclass(frozen=True)
class RemoveMember:
    actor: Actor
    org: str
    user_id: str  # the actor's own: they leave


@dataclass(frozen=True)
class AddMember:
    org: str  # an id or a slug
    username: str  # or an e-mail address
    roles: tuple[str, ...]


@dataclass(frozen=True)
class OperatorRemoval:
    org: str
    username: str


@dataclass(frozen=True, kw_only=True, slots=True)
class OrgMembers:
    """An org's members as its members see and manage them, and as the operators (the
    command line's ``orgs members ...``) add and remove them.

    ``users``: whose names the members' list shows, whom the operators name."""

    orgs: OrgRepository
    users: UserRepository
    clock: Clock
    audit: AuditLog

    def members(self, query: MemberQuery) -> Page[NamedMember]:
        """The org's members by user id, for its members, paginated as ``GET /users`` is:
        each with the account's username and names, and its address to those who manage
        members (one batch read of the page's accounts)."""
        orgs = self.orgs
        seen = member_view(query.actor, query.org, orgs=orgs, permission=Permission.READ)
        after = decode_cursor(query.cursor)
        rows = orgs.members_page(seen.org.id, after, query.limit + 1)
        page = paginate(
            rows, query.limit, rows[query.limit - 1].user_id if len(rows) > query.limit else None
        )
        addresses = allowed(seen.membership.roles, Permission.MANAGE_MEMBERS)
        named = people(self.users, (m.user_id for m in page.items), addresses=addresses)
        return Page([NamedMember(m, named[m.user_id]) for m in page.items], page.next_cursor)

    def change_roles(self, cmd: ChangeRoles) -> Membership:
        orgs = self.orgs
        seen = member_view(cmd.actor, cmd.org, orgs=orgs, permission=Permission.MANAGE_MEMBERS)
        roles = checked_roles(cmd.roles, seen.org.named_roles)
        before = _member(orgs, seen.org.id, cmd.user_id)
        _may_manage(seen, before.roles, roles)  # at once; and again on what the commit replaces
        event = AuditEvent(
            Audit.ORG_MEMBER_ROLES_CHANGED,
            user_id=cmd.user_id,
            actor_id=_other(cmd.actor, cmd.user_id),
            org_id=seen.org.id,
            changes=(("roles", " ".join(before.roles), " ".join(roles)),),
        )
        staged = self.audit.stage([event])
        _, after = orgs.change_roles(
            seen.org.id,
            cmd.user_id,
            roles,
            self.clock.now(),
            staged,
            granter=Granter.person(cmd.actor.user_id),
            check=lambda current: _may_manage(seen, current.roles, roles),
        )
        self.audit.committed(staged)
        return after

    def remove_member(self, cmd: RemoveMember) -> None:
        orgs = self.orgs
        leaving = cmd.user_id == cmd.actor.user_id
        needed = None if leaving else Permission.MANAGE_MEMBERS  # anyone may leave
        seen = member_view(cmd.actor, cmd.org, orgs=orgs, permission=needed)
        if not leaving:
            _may_manage(seen, _member(orgs, seen.org.id, cmd.user_id).roles)
        event = AuditEvent(
            Audit.ORG_MEMBER_REMOVED,
            user_id=cmd.user_id,
            actor_id=_other(cmd.actor, cmd.user_id),
            org_id=seen.org.id,
            reason="left" if leaving else "removed",
        )
        staged = self.audit.stage([event])
        orgs.remove_member(
            seen.org.id,
            cmd.user_id,
            self.clock.now(),
            staged,
            check=lambda current: None if leaving else _may_manage(seen, current.roles),
        )
        self.audit.committed(staged)

    # -- the operators' (the command line's) ----------------------------------------------------

    def add_member(self, cmd: AddMember) -> Membership:
        """An operator adds a person to an org; 409 ``already_member``."""
        org = org_named(cmd.org, self.orgs)
        user = user_named(cmd.username, self.users)
        roles = checked_roles(list(cmd.roles), org.named_roles)
        event = AuditEvent(
            Audit.ORG_MEMBER_ADDED, user_id=user.id, actor_id=CLI_ACTOR, org_id=org.id
        )
        staged = self.audit.stage([event])
        member = self.orgs.add_member(
            org.id, user.id, roles, self.clock.now(), staged, granter=Granter.operator()
        )
        self.audit.committed(staged)
        return member

    def remove_any_member(self, cmd: OperatorRemoval) -> Membership:
        org = org_named(cmd.org, self.orgs)
        user = user_named(cmd.username, self.users)
        event = AuditEvent(
            Audit.ORG_MEMBER_REMOVED,
            user_id=user.id,
            actor_id=CLI_ACTOR,
            org_id=org.id,
            reason="removed",
        )
        staged = self.audit.stage([event])
        removed = self.orgs.remove_member(org.id, user.id, self.clock.now(), staged)
        self.audit.committed(staged)
        return removed


# -- the org's roles --------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgRoleView:
    """A role as the org's API and page show it."""

    name: str
    description: str
    permissions: tuple[str, ...]
    builtin: bool  # owner, admin, member: firegate's rights beside its permissions
    members: int | None  # how many hold it; None for who does not manage members
    created: bool = False  # by this very ``put``
    template: bool = False  # a role every org has, which only firegate's admins define


def _view(org: Org, role: str, members: int | None, created: bool = False) -> OrgRoleView:
    definition = org.definition(role)
    return OrgRoleView(
        role,
        definition.description,
        definition.permissions,
        role in BUILT_IN_ROLES,
        members,
        created,
        org.is_template(role),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class OrgRoles:
    """An org's roles and what each lets its holders do: members read them, owners define
    them; a definition's change reaches its holders' resolved permissions in its commit.

    ``scopes``: the API resources' scopes, which a role may carry as permissions."""

    orgs: OrgRepository
    roles: OrgRoleRepository
    clock: Clock
    audit: AuditLog
    scopes: ResourceScopes = NO_RESOURCE_SCOPES

    def list(self, actor: Actor, org_id: str) -> builtins.list[OrgRoleView]:
        """Every role of the org, firegate's first, then its own, then the templates, for its
        members; with how many hold each for those who manage members."""
        seen = member_view(actor, org_id, orgs=self.orgs, permission=Permission.READ)
        org = seen.org
        names = org.role_names()
        counts = None
        if allowed(seen.membership.roles, Permission.MANAGE_MEMBERS):
            counts = self.roles.holders(org.id, names)
        return [_view(org, name, counts[name] if counts else None) for name in names]

    def put(
        self, actor: Actor, org_id: str, role: str, description: object, permissions: object
    ) -> OrgRoleView:
        """Owners define a role (a new one of the org's own, or any role's permissions); its
        holders' permissions follow in the same commit; 403 ``template_role`` for a
        template's."""
        seen = member_view(actor, org_id, orgs=self.orgs, permission=Permission.MANAGE_OWNERS)
        name = checked_role_name(role)
        if seen.org.is_template(name):
            raise template_role(name)
        definition = checked_definition(description, permissions, self.scopes.scope_names())
        now = self.clock.now()
        created = False

        def change(org: Org) -> Org:
            nonlocal created
            created = name not in BUILT_IN_ROLES and name not in org.custom_roles
            return org.with_role(name, definition, now)

        org = self.roles.redefine(seen.org.id, name, change, now)
        self.audit.record(
            AuditEvent(Audit.ORG_UPDATED, user_id=actor.user_id, org_id=org.id, reason="roles")
        )
        return _view(org, name, self.roles.holders(org.id, [name])[name], created)

    def delete(self, actor: Actor, org_id: str, role: str) -> None:
        """Owners remove a role of the org's own: 409 ``role_in_use`` while a member holds
        it, 409 ``builtin_role`` for firegate's, 403 ``template_role`` for a template."""
        seen = member_view(actor, org_id, orgs=self.orgs, permission=Permission.MANAGE_OWNERS)
        now = self.clock.now()
        seen.org.without_role(role, now)  # 409, 404 before any write
        event = AuditEvent(
            Audit.ORG_UPDATED, user_id=actor.user_id, org_id=seen.org.id, reason="roles"
        )
        staged = self.audit.stage([event])
        try:
            self.orgs.update(seen.org.id, lambda org: org.without_role(role, now), staged)
        except Conflict as held:
            if held.code != "custom_role_in_use":
                raise
            raise Conflict(
                f"Members hold the role {role!r}: take it from them first.", code="role_in_use"
            ) from None
        self.audit.committed(staged)


@dataclass(frozen=True)
class MemberAttributesQuery:
    actor: Actor
    org: str
    user_id: str


@dataclass(frozen=True)
class ChangeMemberAttributes:
    actor: Actor
    org: str
    user_id: str
    attributes: Mapping[str, object]  # as given: a null removes one


@dataclass(frozen=True, kw_only=True, slots=True)
class MemberAttributes:
    """The profile attributes of an org's members, as its owners and admins read and write
    them: those the schema's ``x-read`` and ``x-write`` give ``org_admin``, written only on
    an account the org manages, never the writer's own (docs/reference/orgs.md, "Members'
    attributes").

    ``users``: the members' accounts, which hold the attributes; ``schemas``: the
    profile schema; ``domains``: the org's verified domains, which may hold a member's
    proven address."""

    orgs: OrgRepository
    users: UserRepository
    schemas: ProfileSchemas
    clock: Clock
    domains: OrgDomains

    def _account(self, actor: Actor, org: str, user_id: str) -> tuple[Org, User]:
        """The org and the member's account, for those who manage the org's members (403
        ``org_permission_denied`` else; 404 ``org_not_found`` unless a member); 404
        ``member_not_found`` for no member of this org, or an account deleted since."""
        seen = member_view(actor, org, orgs=self.orgs, permission=Permission.MANAGE_MEMBERS)
        _member(self.orgs, seen.org.id, user_id)
        user = self.users.get(user_id)
        if user is None or user.deleted_at is not None:
            raise NotFound("No such member of this organization.", code="member_not_found")
        return seen.org, user

    def show(self, query: MemberAttributesQuery) -> dict[str, object]:
        """The member's attributes ``org_admin`` reads."""
        _, user = self._account(query.actor, query.org, query.user_id)
        return self.schemas.readable(user, ORG_ADMIN)

    def change(self, cmd: ChangeMemberAttributes) -> dict[str, object]:
        """The member's attributes with ``cmd.attributes`` written as ``org_admin`` (422
        naming each refused one, nothing written then); those it reads, as they are now. 403
        ``account_not_managed`` for an account the org does not manage, or the writer's
        own (``check_org_writes_on``)."""
        org, before = self._account(cmd.actor, cmd.org, cmd.user_id)
        writer = cmd.actor.user_id
        check_org_writes_on(before, org.id, writer, orgs=self.orgs, domains=self.domains)
        schema, now = self.schemas.current(), self.clock.now()
        before.with_attributes(schema, cmd.attributes, ORG_ADMIN, now)  # refused: at once
        after = self.users.update(
            cmd.user_id,
            lambda user: user.with_attributes(schema, cmd.attributes, ORG_ADMIN, now),
        )
        return self.schemas.readable(after, ORG_ADMIN)
