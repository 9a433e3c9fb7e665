"""An org's roles with permissions: what each role lets its holders do in the apps, and who
may give a role to whom (docs/reference/orgs.md, "Roles and permissions";
docs/decisions/0489-org-roles-with-permissions.md)."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from domain.errors import InvalidInput, PermissionDenied
from domain.text import check_text

ROLES_MAX = 50  # the org's own roles; owner, admin and member besides
PERMISSIONS_MAX = 100  # of one role
DESCRIPTION_MAX = 200
ROLE_NAME = re.compile(r"[a-z0-9_:.-]{1,40}")
PERMISSION = re.compile(r"[a-z0-9_:.-]{1,60}")
OWNER = "owner"  # holds every right: what an owner grants never escalates


@dataclass(frozen=True)
class RoleDefinition:
    """What a role means in the org: a description for people, and the permissions its
    holders have (sorted, each once)."""

    description: str = ""
    permissions: tuple[str, ...] = ()


NO_DEFINITION = RoleDefinition()  # a role the org names without defining it: no permissions


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


def resolved_permissions(
    roles: Iterable[str], definitions: Mapping[str, RoleDefinition]
) -> tuple[str, ...]:
    """The permissions of whoever holds ``roles``: the sorted union of their definitions'."""
    return tuple(
        sorted({p for role in roles for p in definitions.get(role, NO_DEFINITION).permissions})
    )


def check_grant(
    granter_roles: Iterable[str] | None,
    granted: Iterable[str],
    definitions: Mapping[str, RoleDefinition],
) -> None:
    """403 ``permission_escalation`` unless the granter (their roles; None: no longer a
    member) holds every permission of the roles ``granted``; an owner holds every right."""
    held = tuple(granter_roles) if granter_roles is not None else None
    if held is not None and OWNER in held:
        return
    have = set(resolved_permissions(held or (), definitions))
    lacking = sorted(set(resolved_permissions(granted, definitions)) - have)
    if held is None or lacking:
        raise PermissionDenied(
            "You cannot give a role with a permission you do not have"
            + (f": {lacking[0]!r}." if lacking else "."),
            code="permission_escalation",
        )
