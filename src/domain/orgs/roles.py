"""An org's roles with permissions: what each role lets its holders do in the apps, and who
may give a role to whom (docs/reference/orgs.md, "Roles and permissions";
docs/decisions/0489-org-roles-with-permissions.md)."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from domain.errors import Conflict, InvalidInput, PermissionDenied
from domain.text import check_text

ROLES_MAX = 50  # the org's own roles; owner, admin and member besides
TEMPLATES_MAX = 50  # the deployment's role templates, which every org has
PERMISSIONS_MAX = 100  # of one role
DESCRIPTION_MAX = 200
ROLE_NAME = re.compile(r"[a-z0-9_:.-]{1,40}")
PERMISSION = re.compile(r"[a-z0-9_:.-]{1,60}")
OWNER = "owner"  # holds every right: what an owner grants never escalates
ADMIN = "admin"
MEMBER = "member"  # what every membership holds when nothing else gives a role


class Permission(StrEnum):
    """firegate's own rights in an org: what a member may do through firegate, by their
    roles (``BUILT_IN_RIGHTS``; ``domain.orgs.orgs.allowed``). Apart from the permissions
    an org defines, which only its apps read."""

    READ = "read"  # the org, its members
    MANAGE_MEMBERS = "manage_members"  # members, invitations (not owners)
    MANAGE_ORG = "manage_org"  # settings, domains, connections, SCIM, apps; the audit log
    MANAGE_OWNERS = "manage_owners"  # make, demote or remove an owner
    # Who may sign people in as the org's members: create or activate a connection, set its
    # identity provider, make a setup link (docs/decisions/0448-single-sign-on-is-the-owners.md)
    MANAGE_SSO = "manage_sso"
    DELETE_ORG = "delete_org"


# The rights of firegate's roles: part of their power, whatever permissions they also carry.
BUILT_IN_RIGHTS: Mapping[str, frozenset[Permission]] = {
    MEMBER: frozenset({Permission.READ}),
    ADMIN: frozenset({Permission.READ, Permission.MANAGE_MEMBERS, Permission.MANAGE_ORG}),
    OWNER: frozenset(Permission),
}


@dataclass(frozen=True)
class RoleDefinition:
    """What a role means in the org: a description for people, and the permissions its
    holders have (sorted, each once)."""

    description: str = ""
    permissions: tuple[str, ...] = ()


NO_DEFINITION = RoleDefinition()  # a role the org names without defining it: no permissions


def template_role(role: str) -> PermissionDenied:
    """403 ``template_role``: a role template is every org's, defined by firegate's admins
    alone (docs/decisions/0581-role-templates-read-with-every-org.md)."""
    return PermissionDenied(
        f"{role!r} is a role every organization has: only firegate's admins change it.",
        code="template_role",
    )


def is_role_name(value: object) -> bool:
    return isinstance(value, str) and ROLE_NAME.fullmatch(value) is not None


def checked_role_name(value: object) -> str:
    """A role's name as the org's own roles are named: 1 to 40 of a-z, 0-9 and '_:.-'."""
    if not is_role_name(value):
        raise InvalidInput.field(
            "role", "A role's name is 1 to 40 of a-z, 0-9 and '_:.-'.", "invalid_role_name"
        )
    return str(value)


def checked_definition(
    description: object, permissions: object, scopes: Collection[str] = ()
) -> RoleDefinition:
    """A role's definition as given: a description of at most 200 characters (or none) and
    at most 100 distinct permissions, each an org-defined ``[a-z0-9_:.-]{1,60}`` or one of the
    registered API resources' ``scopes``; kept sorted."""
    if description is None:
        description = ""
    if not isinstance(description, str) or len(description.strip()) > DESCRIPTION_MAX:
        raise InvalidInput.field(
            "description",
            f"A description has at most {DESCRIPTION_MAX} characters.",
            "invalid_role_description",
        )
    if description.strip():
        check_text("description", description)
    if (
        not isinstance(permissions, list)
        or len(permissions) > PERMISSIONS_MAX
        or not all(isinstance(p, str) for p in permissions)
        or len(set(permissions)) != len(permissions)
    ):
        raise InvalidInput.field(
            "permissions",
            f"Permissions are a list of at most {PERMISSIONS_MAX} distinct names.",
            "invalid_permissions",
        )
    bad = next((p for p in permissions if not PERMISSION.fullmatch(p) and p not in scopes), None)
    if bad is not None:
        raise InvalidInput.field(
            "permissions",
            f"Not a permission: {bad[:60]!r} (1 to 60 of a-z, 0-9 and '_:.-', or an API "
            "resource's scope).",
            "invalid_permission",
        )
    return RoleDefinition(description.strip(), tuple(sorted(permissions)))


def with_template(
    templates: Mapping[str, RoleDefinition], name: str, definition: RoleDefinition
) -> dict[str, RoleDefinition]:
    """The deployment's role templates with ``name`` defined: any role name but firegate's
    own (403 ``template_role``), at most ``TEMPLATES_MAX`` (409 ``too_many_roles``)."""
    role = checked_role_name(name)
    if role in BUILT_IN_RIGHTS:
        raise PermissionDenied(
            "owner, admin and member are firegate's: each org defines their permissions.",
            code="template_role",
        )
    if role not in templates and len(templates) >= TEMPLATES_MAX:
        raise Conflict(
            f"A deployment has at most {TEMPLATES_MAX} role templates.", code="too_many_roles"
        )
    return {**templates, role: definition}


def resolved_permissions(
    roles: Iterable[str], definitions: Mapping[str, RoleDefinition]
) -> tuple[str, ...]:
    """The permissions of whoever holds ``roles``: the sorted union of their definitions'."""
    return tuple(
        sorted({p for role in roles for p in definitions.get(role, NO_DEFINITION).permissions})
    )


@dataclass(frozen=True)
class Power:
    """What holding some roles lets one do: firegate's ``rights`` (those of ``owner``,
    ``admin`` and ``member``; every membership holds a member's) and the ``permissions``
    their definitions carry (built-in roles, templates and the org's own alike)."""

    rights: frozenset[Permission]
    permissions: frozenset[str]

    def lacking(self, other: Power) -> tuple[str, ...]:
        """What of ``other`` this power lacks, firegate's rights first, each named."""
        rights = sorted(right.value for right in other.rights - self.rights)
        return (
            *(f"firegate's right {right!r}" for right in rights),
            *(repr(p) for p in sorted(other.permissions - self.permissions)),
        )


def power_of(roles: Iterable[str], definitions: Mapping[str, RoleDefinition]) -> Power:
    """The whole power of a member holding ``roles`` in an org whose roles mean
    ``definitions``: a member's rights, each built-in role's, and every permission."""
    held = tuple(roles)
    rights = BUILT_IN_RIGHTS[MEMBER].union(*(BUILT_IN_RIGHTS.get(role, ()) for role in held))
    return Power(frozenset(rights), frozenset(resolved_permissions(held, definitions)))


def check_grant(
    granter_roles: Iterable[str] | None,
    granted: Iterable[str],
    definitions: Mapping[str, RoleDefinition],
) -> None:
    """403 ``permission_escalation`` unless the granter (their roles; None: no longer a
    member) holds the whole power of the roles ``granted`` (``power_of``: firegate's rights
    of a built-in role as well as every permission), so only an owner gives ``owner`` and
    only an admin or owner ``admin``; an owner holds every right."""
    held = tuple(granter_roles) if granter_roles is not None else None
    if held is not None and OWNER in held:
        return
    lacking = (
        power_of(held, definitions).lacking(power_of(granted, definitions))
        if held is not None
        else ()
    )
    if held is None or lacking:
        raise PermissionDenied(
            "You cannot give a role with a permission you do not have"
            + (f": {lacking[0]}." if lacking else "."),
            code="permission_escalation",
        )


class GranterKind(StrEnum):
    """Who gives a member a role (docs/decisions/0508-roles-change-in-one-place.md)."""

    PERSON = "person"  # a member of the org, by hand: their own rights
    INVITATION = "invitation"  # an invitation, when accepted: its inviter's rights
    SCIM = "scim"  # the org's directory: the rights of whoever made its SCIM token
    SSO = "sso"  # a connection's mapping: the rights of whoever last set it
    DOMAIN = "domain"  # the org's domain policy (a join by the person): a member's rights
    OPERATOR = "operator"  # the operators' command line: every right


@dataclass(frozen=True)
class Granter:
    """Who gives a role, and whose rights the grant is checked against: the roles the
    member ``rights_of`` holds as the grant's commit reads them (None for a granter that is
    no member: the org's domain policy, and a connection whose mapping no one is known to
    have set, grant with a plain member's rights; the operators hold every right)."""

    kind: GranterKind
    rights_of: str | None = None

    @staticmethod
    def person(user_id: str) -> Granter:
        return Granter(GranterKind.PERSON, user_id)

    @staticmethod
    def invitation(inviter: str) -> Granter:
        return Granter(GranterKind.INVITATION, inviter)

    @staticmethod
    def scim(token_maker: str) -> Granter:
        return Granter(GranterKind.SCIM, token_maker or None)

    @staticmethod
    def sso(mapped_by: str | None) -> Granter:
        return Granter(GranterKind.SSO, mapped_by or None)

    @staticmethod
    def domain() -> Granter:
        return Granter(GranterKind.DOMAIN)

    @staticmethod
    def operator() -> Granter:
        return Granter(GranterKind.OPERATOR)

    def reads(self, granted: Collection[str]) -> str | None:
        """The member whose roles the commit reads to check ``granted``: None when nothing
        is to be read (nothing granted, the operators, no member's rights)."""
        if not granted or self.kind is GranterKind.OPERATOR:
            return None
        return self.rights_of


_REFUSALS: Mapping[GranterKind, str] = {
    GranterKind.PERSON: "You cannot give a role with a permission you do not have",
    GranterKind.INVITATION: (
        "This invitation gives a role its inviter may no longer give; ask for a new one"
    ),
    GranterKind.SCIM: "The SCIM token's maker cannot give this role",
    GranterKind.SSO: "Whoever set the connection's mapping cannot give this role",
    GranterKind.DOMAIN: "Joining by the domain gives no role but member",
}


def added_roles(
    roles: Iterable[str], before: Iterable[str] | None, *, joining: bool = False
) -> tuple[str, ...]:
    """What a grant of ``roles`` adds: those its source did not give already (``before``;
    None: a new membership). A join's ``member`` adds nothing: it is what any membership
    holds when nothing else gives a role."""
    kept = set(before or ()) | ({MEMBER} if joining else set())
    return tuple(role for role in dict.fromkeys(roles) if role not in kept)


def check_granted(
    granter: Granter,
    held: Iterable[str] | None,
    granted: Iterable[str],
    definitions: Mapping[str, RoleDefinition],
) -> None:
    """403 ``permission_escalation`` unless ``granter`` may give the roles ``granted`` (those
    a change adds, ``added_roles``): the operators give any; anyone else holds, through
    ``held`` (the roles of ``granter.rights_of`` as the commit reads them, None: no longer a
    member; a plain member's for a granter with no ``rights_of``), the whole power of each
    role (``check_grant``). Nothing granted is never refused."""
    given = tuple(granted)
    if not given or granter.kind is GranterKind.OPERATOR:
        return
    rights = tuple(held) if held is not None else None
    if granter.rights_of is None:
        rights = (MEMBER,)
    try:
        check_grant(rights, given, definitions)
    except PermissionDenied as refused:
        if granter.kind is GranterKind.PERSON:
            raise
        lacking = refused.detail.partition(": ")[2]
        raise PermissionDenied(
            _REFUSALS[granter.kind] + (f": {lacking}" if lacking else "."),
            code="permission_escalation",
        ) from None
