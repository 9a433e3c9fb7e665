"""Organizations: an org, a person's membership of it, its roles and the rules on them
(docs/reference/orgs.md)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from domain.accounts.credentials import username_key
from domain.accounts.profile import NAME_MAX
from domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from domain.ids import is_id, new_id
from domain.orgs.roles import (
    BUILT_IN_RIGHTS,
    NO_DEFINITION,
    ROLE_NAME,
    ROLES_MAX,
    Permission,
    RoleDefinition,
    checked_role_name,
    resolved_permissions,
    template_role,
)
from domain.signin.active_org import DEFAULT_AGENT_POLICY, ActiveOrg, AgentPolicy
from domain.text import check_text

SLUG_MIN, SLUG_MAX = 3, 40
_SLUG = re.compile(r"[a-z0-9-]+")
# Paths under /orgs/ that are not an org's: no org may take their name.
RESERVED_SLUGS = frozenset({"join", "invitations", "new", "suggested"})
CUSTOM_ROLES_MAX = ROLES_MAX
BREAK_GLASS_MAX = 10  # the owners who may still sign in otherwise when the org requires SSO


class OrgRole(StrEnum):
    """firegate's own roles in an org; an org may name more (``Org.custom_roles``), which
    firegate only carries in tokens."""

    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


BUILT_IN_ROLES = frozenset(role.value for role in OrgRole)


class DomainPolicy(StrEnum):
    NONE = "none"  # a verified domain routes sign-ins to the org's SSO, nothing more
    SUGGEST = "suggest"  # a person proven on the domain is offered to join
    AUTO_JOIN = "auto_join"  # a person proven on the domain joins as a member


def allowed(roles: Iterable[str], permission: Permission) -> bool:
    """Whether one of ``roles`` carries firegate's right ``permission``."""
    return any(permission in BUILT_IN_RIGHTS.get(role, frozenset()) for role in roles)


def require(roles: Iterable[str], permission: Permission) -> None:
    """403 ``org_permission_denied`` unless one of ``roles`` grants ``permission``."""
    if not allowed(roles, permission):
        raise PermissionDenied(
            "Your role in this organization does not allow this.", code="org_permission_denied"
        )


def is_slug_shaped(value: str) -> bool:
    return SLUG_MIN <= len(value) <= SLUG_MAX and _SLUG.fullmatch(value) is not None


def new_org_id() -> str:
    """An org's id, never shaped like a slug: ``{org}`` in a path is one or the other."""
    while True:
        value = new_id()
        if not is_slug_shaped(value):
            return value


@dataclass(frozen=True)
class Slug:
    """An org's name in paths: 3-40 of a-z, 0-9 and '-', unique by its look-alike key as
    usernames are (docs/decisions/0052-look-alike-usernames.md)."""

    value: str
    normalized: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.value, str) or not is_slug_shaped(self.value):
            raise InvalidInput.field(
                "slug",
                f"A slug is {SLUG_MIN} to {SLUG_MAX} of a-z, 0-9 and '-'.",
                "invalid_slug",
            )
        if self.value in RESERVED_SLUGS:
            raise InvalidInput.field("slug", "This slug is reserved.", "reserved_slug")
        object.__setattr__(self, "normalized", username_key(self.value))


def checked_name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput.field("name", "An organization needs a name.", "invalid_name")
    check_text("name", value)
    if len(value.strip()) > NAME_MAX:
        raise InvalidInput.field(
            "name", f"A name has at most {NAME_MAX} characters.", "invalid_name"
        )
    return value.strip()


def checked_roles(value: object, custom_roles: Iterable[str]) -> tuple[str, ...]:
    """A member's roles as given: a non-empty list of firegate's roles and the org's own,
    each once; kept in the order given."""
    known = BUILT_IN_ROLES | frozenset(custom_roles)
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(role, str) for role in value)
        or len(set(value)) != len(value)
    ):
        raise InvalidInput.field(
            "roles", "Roles are a non-empty list of distinct names.", "invalid_roles"
        )
    unknown = [role for role in value if role not in known]
    if unknown:
        raise InvalidInput.field("roles", f"Unknown role: {unknown[0]!r}.", "unknown_role")
    return tuple(value)


def checked_custom_roles(value: object) -> tuple[str, ...]:
    if (
        not isinstance(value, list)
        or len(value) > CUSTOM_ROLES_MAX
        or not all(isinstance(r, str) and ROLE_NAME.fullmatch(r) for r in value)
        or len(set(value)) != len(value)
        or BUILT_IN_ROLES & set(value)
    ):
        raise InvalidInput.field(
            "custom_roles",
            f"At most {CUSTOM_ROLES_MAX} distinct names of 1 to 40 of a-z, 0-9 and '_:.-', "
            "none of owner, admin, member.",
            "invalid_custom_roles",
        )
    return tuple(value)


class ImpersonationPolicy(StrEnum):
    """Whether admins may act as the org's members (docs/support-access.md)."""

    ALLOW = "allow"
    FORBID = "forbid"


# The permission a role of the org carries for its holder (an owner or admin) to act as its
# members (docs/support-access.md, "In an organization").
IMPERSONATE = "org:impersonate"


@dataclass(frozen=True)
class Org:
    id: str
    slug: Slug
    name: str
    created_at: datetime
    updated_at: datetime
    domain_policy: DomainPolicy = DomainPolicy.NONE
    require_mfa: bool = False
    custom_roles: tuple[str, ...] = ()
    # Members on its verified domains sign in only through its single sign-on, but for the
    # owners named here (docs/decisions/0394-requiring-single-sign-on.md).
    require_sso: bool = False
    sso_break_glass: tuple[str, ...] = ()
    # How many members hold ``owner``: never 0 (``last_owner``), written only by a change
    # that makes, demotes or removes an owner, read by the next one (docs/decisions/
    # 0470-no-org-document-on-the-membership-path.md).
    owners: int = 1
    # What its roles mean: built-in ones and those of ``custom_roles`` it defined; a role
    # without a definition has no permissions (docs/decisions/0489-org-roles-with-permissions.md)
    roles: Mapping[str, RoleDefinition] = field(default_factory=dict, hash=False)
    # Which apps may act for its members acting in it, as its owners set it
    # (docs/decisions/0548-an-orgs-agent-policy.md)
    agent_policy: AgentPolicy = DEFAULT_AGENT_POLICY
    # The deployment's role templates as read with the org: roles every org has, defined by
    # firegate's admins, never stored with the org; a template's definition is the one of
    # its name in every org (docs/decisions/0581-role-templates-read-with-every-org.md)
    templates: Mapping[str, RoleDefinition] = field(default_factory=dict, hash=False)

    @property
    def definitions(self) -> Mapping[str, RoleDefinition]:
        """What each role means in the org: its own definitions, and the templates'."""
        return {**self.roles, **self.templates}

    @property
    def named_roles(self) -> tuple[str, ...]:
        """The roles beside firegate's that a member may hold: the org's own, then the
        templates."""
        return (*self.custom_roles, *(t for t in self.templates if t not in self.custom_roles))

    def is_template(self, role: str) -> bool:
        return role in self.templates

    # Whether an admin, the operator's or the org's, may act as its members
    impersonation: ImpersonationPolicy = ImpersonationPolicy.ALLOW

    def definition(self, role: str) -> RoleDefinition:
        return self.definitions.get(role, NO_DEFINITION)

    def check_impersonation(self, actor_roles: Iterable[str], person_roles: Iterable[str]) -> None:
        """May a member holding ``actor_roles`` act as one holding ``person_roles``? Only an
        owner or admin whose roles carry ``org:impersonate``, never as an owner, and never
        where the org forbids it (docs/support-access.md, "In an organization")."""
        held = tuple(actor_roles)
        if self.impersonation is ImpersonationPolicy.FORBID:
            raise PermissionDenied(
                "This organization does not let anyone act as its members.",
                code="org_forbids_impersonation",
            )
        if not {OrgRole.OWNER, OrgRole.ADMIN} & set(held) or IMPERSONATE not in (
            self.permissions_of(held)
        ):
            raise PermissionDenied(
                f"Acting as a member takes an owner's or admin's role carrying {IMPERSONATE}.",
                code="org_permission_denied",
            )
        if OrgRole.OWNER in tuple(person_roles):
            raise PermissionDenied("No one acts as an owner.", code="impersonation_of_owner")

    def offers_impersonation(self, actor_roles: Iterable[str]) -> bool:
        """Whether ``check_impersonation`` lets a member holding ``actor_roles`` act as a
        member who is no owner: what the members' page offers "Act as" by."""
        try:
            self.check_impersonation(actor_roles, ())
        except PermissionDenied:
            return False
        return True

    def permissions_of(self, roles: Iterable[str]) -> tuple[str, ...]:
        """The sorted union of ``roles``' permissions, as the org and the templates define
        them now."""
        return resolved_permissions(roles, self.definitions)

    def role_names(self) -> tuple[str, ...]:
        """Every role a member may hold: firegate's, the org's own, then the templates."""
        return (*(role.value for role in OrgRole), *self.named_roles)

    def with_role(self, name: object, definition: RoleDefinition, now: datetime) -> Org:
        """The org with role ``name`` defined (a new one of its own, at most
        ``CUSTOM_ROLES_MAX``: 409 ``too_many_roles``); 403 ``template_role`` for a
        template's name."""
        role = checked_role_name(name)
        if role in self.templates:
            raise template_role(role)
        custom = self.custom_roles
        if role not in BUILT_IN_ROLES and role not in custom:
            if len(custom) >= CUSTOM_ROLES_MAX:
                raise Conflict(
                    f"An organization has at most {CUSTOM_ROLES_MAX} roles of its own.",
                    code="too_many_roles",
                )
            custom = (*custom, role)
        roles = {**self.roles, role: definition}
        return replace(self, custom_roles=custom, roles=roles, updated_at=now)

    def without_role(self, name: str, now: datetime) -> Org:
        """The org without its own role ``name``: 409 ``builtin_role`` for firegate's, 404
        ``role_not_found`` for one it does not name, 403 ``template_role`` for a template."""
        if name in self.templates:
            raise template_role(name)
        if name in BUILT_IN_ROLES:
            raise Conflict(
                "owner, admin and member stay: change their permissions instead.",
                code="builtin_role",
            )
        if name not in self.custom_roles:
            raise NotFound("No such role in this organization.", code="role_not_found")
        custom = tuple(role for role in self.custom_roles if role != name)
        roles = {role: d for role, d in self.roles.items() if role != name}
        return replace(self, custom_roles=custom, roles=roles, updated_at=now)

    @property
    def open_to_its_domains(self) -> bool:
        """Whether a person proven on one of its verified domains may join it by themselves
        (``suggest``, and ``auto_join`` for whoever was not joined when proven)."""
        return self.domain_policy in (DomainPolicy.SUGGEST, DomainPolicy.AUTO_JOIN)

    def requires_sso_of(self, membership: Membership | None) -> bool:
        """Whether this member signs in only through the org's single sign-on: the org
        requires it, and they are not an owner it names as break-glass (an owner no longer
        is one once demoted)."""
        return (
            self.require_sso
            and membership is not None
            and not (membership.owner and membership.user_id in self.sso_break_glass)
        )

    @staticmethod
    def create(slug: Slug, name: str, now: datetime) -> Org:
        return Org(
            id=new_org_id(),
            slug=slug,
            name=checked_name(name),
            created_at=now,
            updated_at=now,
        )


def creators_org(org: Org, role: str, templates: Mapping[str, RoleDefinition]) -> Org:
    """A new org whose creator holds ``role`` (``ORG_CREATOR_ROLE``) rather than ``owner``:
    with the templates it is made with, and no owner but for ``owner``; 409
    ``creator_role_missing`` when ``role`` is neither firegate's nor a template
    (docs/decisions/0583-the-creators-role.md)."""
    if role not in BUILT_IN_ROLES and role not in templates:
        raise Conflict(
            f"ORG_CREATOR_ROLE names {role!r}, which is no role template: an admin defines it.",
            code="creator_role_missing",
        )
    return replace(org, templates=dict(templates), owners=int(role == OrgRole.OWNER))


class RoleSource(StrEnum):
    """Who grants a member a role: each source's roles are kept apart, and the member holds
    their union (docs/decisions/0459-each-source-grants-its-own-roles.md)."""

    HAND = "hand"  # an admin, an invitation, the org's creation, a join
    SSO = "sso"  # the connection's group mapping, at each sign-in through it
    SCIM = "scim"  # the org's directory, by the groups it pushes


def held_roles(*given: tuple[str, ...]) -> tuple[str, ...]:
    """The roles a member holds: the union of what each source gives, in order (``member``
    when none gives anything)."""
    held = tuple(dict.fromkeys(role for roles in given for role in roles))
    return held or (OrgRole.MEMBER.value,)


@dataclass(frozen=True)
class Membership:
    """A person's membership of an org: stored as ``orgs/{org_id}/members/{user_id}``."""

    org_id: str
    user_id: str
    granted: tuple[str, ...]  # the roles given by hand (``RoleSource.HAND``)
    version: int  # new at each change (``new_member_version``): the rules' ``org_version``
    joined_at: datetime
    updated_at: datetime
    # The org made the account when this membership began (its SSO, just in time, on one of
    # its verified domains): SCIM's deprovisioning disables it (docs/decisions/0414-...)
    managed: bool = False
    sso_roles: tuple[str, ...] = ()  # what the connection's group mapping gave at sign-in
    scim_roles: tuple[str, ...] = ()  # what the directory's groups give
    # The sorted union of its roles' permissions, as the org defined them at its last write
    # (``resolved_in``): what the rules and the tokens read
    permissions: tuple[str, ...] = ()

    def resolved_in(self, org: Org) -> Membership:
        """The membership with its permissions as ``org`` defines its roles."""
        return replace(self, permissions=org.permissions_of(self.roles))

    @property
    def roles(self) -> tuple[str, ...]:
        """The roles the member holds, whatever gave them: what every check, token and the
        last owner's rule see."""
        return held_roles(self.granted, self.sso_roles, self.scim_roles)

    @property
    def owner(self) -> bool:
        return OrgRole.OWNER in self.roles

    def given_by(self, source: RoleSource) -> tuple[str, ...]:
        """The roles ``source`` gives this member."""
        return {
            RoleSource.HAND: self.granted,
            RoleSource.SSO: self.sso_roles,
            RoleSource.SCIM: self.scim_roles,
        }[source]

    def with_roles(
        self,
        roles: tuple[str, ...],
        version: int,
        now: datetime,
        source: RoleSource = RoleSource.HAND,
    ) -> Membership:
        """The membership with what ``source`` gives replaced by ``roles``; the other sources'
        roles stay."""
        if source is RoleSource.SSO:
            return replace(self, sso_roles=roles, version=version, updated_at=now)
        if source is RoleSource.SCIM:
            return replace(self, scim_roles=roles, version=version, updated_at=now)
        return replace(self, granted=roles, version=version, updated_at=now)


def check_org_writes(
    member: Membership | None, proven_on_its_domain: bool, writer: str | None
) -> None:
    """403 ``account_not_managed`` unless an org may write its attributes on the account of
    ``member`` (its membership of the org; None: none): one the org manages, its membership
    made with the account by its SCIM or SSO (``managed``), or a member whose proven address
    is on one of the org's verified domains (``proven_on_its_domain``); never the account of
    ``writer``, whose rights the write carries (the admin, the SCIM token's maker, whoever
    set the connection's mapping) (docs/decisions/0510-org-written-attributes.md)."""
    if (
        member is None
        or (writer is not None and member.user_id == writer)
        or not (member.managed or proven_on_its_domain)
    ):
        raise PermissionDenied(
            "The organization does not manage this account: it writes no attribute of it.",
            code="account_not_managed",
        )


def checked_source_roles(
    roles: tuple[str, ...], custom_roles: Iterable[str], source: RoleSource
) -> tuple[str, ...]:
    """``roles`` as ``source`` may give them: by hand a non-empty list (``checked_roles``);
    an SSO mapping or a directory's groups any of the org's roles but ``owner``, none at
    all too (400 ``unknown_role``)."""
    if source is RoleSource.HAND:
        return checked_roles(list(roles), custom_roles)
    known = (BUILT_IN_ROLES - {OrgRole.OWNER.value}) | frozenset(custom_roles)
    unknown = [role for role in roles if role not in known]
    if unknown:
        raise InvalidInput.field("roles", f"Unknown role: {unknown[0]!r}.", "unknown_role")
    return tuple(dict.fromkeys(roles))


def check_given_roles(member: Membership, custom_roles: Iterable[str]) -> None:
    """400 ``unknown_role`` when a source gives ``member`` a role the org does not name (or
    one it may not give)."""
    for source in RoleSource:
        if given := member.given_by(source):
            checked_source_roles(given, custom_roles, source)


# Versions are drawn from 53 bits: a JSON number (a custom token's claim) holds them exactly.
VERSION_BITS = 53


def new_member_version() -> int:
    """A membership's version for its next change: random, so no shared counter is written
    and a removed and re-added member's old Firebase ``org_version`` never matches again
    (a repeat has odds of 2**-53)."""
    return secrets.randbits(VERSION_BITS) or 1


def owners_change(before: Membership | None, after: Membership | None) -> bool:
    """Whether the change makes, demotes or removes an owner (the org's count moves)."""
    return bool(before and before.owner) != bool(after and after.owner)


def active_org(org: Org, membership: Membership) -> ActiveOrg:
    """The org a session may act in, as the org and the person's membership stand."""
    return ActiveOrg(
        id=org.id,
        slug=org.slug.value,
        roles=membership.roles,
        version=membership.version,
        require_mfa=org.require_mfa,
        joined_at=membership.joined_at,
        name=org.name,
        permissions=membership.permissions,
        agents=org.agent_policy,
        support_access=org.impersonation is ImpersonationPolicy.ALLOW,
    )


def owners_after(org: Org, before: Membership | None, after: Membership | None) -> int:
    """The org's owner count once ``before`` becomes ``after`` (None: absent); 409
    ``last_owner`` when that leaves none."""
    owners = (
        org.owners - (1 if before and before.owner else 0) + (1 if after and after.owner else 0)
    )
    if owners < 1:
        raise Conflict(
            "An organization keeps at least one owner: make another owner first.",
            code="last_owner",
        )
    return owners


# What ``PATCH /orgs/{org}`` may change, and how each value is checked.
EDITABLE = (
    "name",
    "slug",
    "domain_policy",
    "require_mfa",
    "custom_roles",
    "require_sso",
    "sso_break_glass",
    "impersonation",
)


def checked_break_glass(value: object) -> tuple[str, ...]:
    """At most ``BREAK_GLASS_MAX`` distinct user ids (whether each is an owner is the use
    case's to check: it reads the memberships)."""
    if (
        not isinstance(value, list)
        or len(value) > BREAK_GLASS_MAX
        or not all(isinstance(v, str) and is_id(v) for v in value)
        or len(set(value)) != len(value)
    ):
        raise InvalidInput.field(
            "sso_break_glass",
            f"A list of at most {BREAK_GLASS_MAX} distinct user ids of the org's owners.",
            "invalid_sso_break_glass",
        )
    return tuple(value)


def _flag(name: str) -> Callable[[object], bool]:
    """The check of a boolean field ``name``: true or false, nothing else."""

    def checked(value: object) -> bool:
        if not isinstance(value, bool):
            raise InvalidInput.field(name, "true or false.", f"invalid_{name}")
        return value

    return checked


def _impersonation(value: object) -> ImpersonationPolicy:
    if value not in {p.value for p in ImpersonationPolicy}:
        raise InvalidInput.field("impersonation", "allow or forbid.", "invalid_impersonation")
    return ImpersonationPolicy(str(value))


def _domain_policy(value: object) -> DomainPolicy:
    if value not in {p.value for p in DomainPolicy}:
        raise InvalidInput.field(
            "domain_policy", "One of none, suggest, auto_join.", "invalid_domain_policy"
        )
    return DomainPolicy(str(value))


_CHECKS: Mapping[str, Callable[[object], object]] = {
    "name": checked_name,
    "slug": lambda value: Slug(value if isinstance(value, str) else ""),
    "domain_policy": _domain_policy,
    "require_mfa": _flag("require_mfa"),
    "custom_roles": checked_custom_roles,
    "require_sso": _flag("require_sso"),
    "sso_break_glass": checked_break_glass,
    "impersonation": _impersonation,
}


def edited(org: Org, changes: Mapping[str, object], now: datetime) -> Org:
    """``org`` with the fields of ``changes`` (a subset of ``EDITABLE``) checked and set."""
    fields: dict[str, object] = {}
    for name, value in changes.items():
        check = _CHECKS.get(name)
        if check is None:
            raise InvalidInput.field(name, "This field cannot be changed.", "unknown_field")
        fields[name] = check(value)
    if not fields:
        return org
    after = replace(org, **fields, updated_at=now)  # type: ignore[arg-type]
    taken = next((r for r in after.custom_roles if r in org.templates), None)
    if taken is not None and taken not in org.custom_roles:
        raise template_role(taken)
    named = BUILT_IN_ROLES | set(after.custom_roles)  # a role no longer named loses its meaning
    return replace(after, roles={r: d for r, d in after.roles.items() if r in named})


def removed_roles(before: Org, after: Org) -> tuple[str, ...]:
    """The org's own roles that ``after`` no longer names."""
    return tuple(role for role in before.custom_roles if role not in after.custom_roles)


def role_in_use(role: str) -> Conflict:
    """409 ``custom_role_in_use``: a role some member holds stays until it is taken from them
    (docs/decisions/0365-custom-role-removal.md)."""
    return Conflict(
        f"Members hold the role {role!r}: take it from them first.",
        code="custom_role_in_use",
        field="custom_roles",
    )


def role_in_use_anywhere(role: str) -> Conflict:
    """409 ``role_in_use``: a role template some member of some org holds stays until it is
    taken from them (docs/decisions/0582-a-held-template-stays.md)."""
    return Conflict(
        f"Members of organizations hold the role {role!r}: take it from them first.",
        code="role_in_use",
    )
