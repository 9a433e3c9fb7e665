"""A group as an org's directory pushes it over SCIM (docs/reference/scim.md, "Groups"): its
members are SCIM users of the org, and a group named after one of the org's roles gives its
members that role (docs/decisions/0406-scim-groups-name-roles.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from domain.errors import InvalidInput, NotFound
from domain.orgs.orgs import Org, OrgRole
from domain.scim.users import (
    DISPLAY_NAME,
    EXTERNAL_ID,
    TEXT_MAX,
    checked_document,
    checked_text,
    equal_key,
    gram_keys,
    present_key,
)

MEMBERS = "members"
NAME_MAX = TEXT_MAX
MEMBERS_MAX = 1000  # a group's members, in one document


@dataclass(frozen=True)
class ScimGroup:
    org_id: str
    group_id: str
    display_name: str
    members: tuple[str, ...]  # the ids of SCIM users of the org
    created_at: datetime
    updated_at: datetime
    version: int
    external_id: str | None = None
    document: str = "{}"  # the resource as the directory last sent it, as JSON text

    def keys(self) -> list[str]:
        """Every key a filter may look this group up by: its ``displayName`` equal and its
        substrings, its ``externalId`` equal and present, its members."""
        keys = {equal_key(DISPLAY_NAME, self.display_name)}
        keys |= gram_keys(DISPLAY_NAME, self.display_name)
        if self.external_id:
            keys |= {present_key(EXTERNAL_ID), equal_key(EXTERNAL_ID, self.external_id)}
        keys |= {f"{MEMBERS}={member}" for member in self.members}
        if self.members:
            keys.add(present_key(MEMBERS))
        return sorted(keys)


def member_key(user_id: str) -> str:
    """The key of the groups ``user_id`` is a member of."""
    return f"{MEMBERS}={user_id}"


def checked_display_name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput.field(
            "displayName", "A displayName is required.", "display_name_required"
        )
    if len(value) > NAME_MAX:
        raise InvalidInput.field(
            "displayName", f"At most {NAME_MAX} characters.", "string_too_long"
        )
    return value


def checked_members(members: Iterable[str]) -> tuple[str, ...]:
    unique = tuple(dict.fromkeys(members))
    if len(unique) > MEMBERS_MAX:
        raise InvalidInput.field("members", f"At most {MEMBERS_MAX} members.", "too_many_members")
    return unique


def checked_group(group: ScimGroup) -> ScimGroup:
    """``group`` if it fits a record (docs/reference/scim.md, "Limits"), as
    ``checked_record`` a user: its name and members are checked as they are read."""
    return replace(
        group,
        external_id=checked_text("externalId", group.external_id),
        document=checked_document(group.document, {MEMBERS: MEMBERS_MAX}),
    )


def mapped_role(display_name: str, org: Org) -> str | None:
    """The org role a group of this name gives: ``admin``, or one of the org's own roles,
    whatever the case; never ``owner`` (a directory never makes an owner) nor ``member``
    (every member holds it)."""
    name = display_name.strip().casefold()
    if name == OrgRole.ADMIN.value:
        return OrgRole.ADMIN.value
    return {role.casefold(): role for role in org.named_roles}.get(name)


def roles_for(groups_of_org: Iterable[ScimGroup], user_id: str, org: Org) -> tuple[str, ...]:
    """The roles the org's groups give a member: those of every group they are in whose
    name is a role (``mapped_role``). They are the directory's to give and to take back; the
    roles other sources give stay (docs/decisions/0459-each-source-grants-its-own-roles.md)."""
    given = {
        role
        for g in groups_of_org
        if user_id in g.members and (role := mapped_role(g.display_name, org))
    }
    return tuple(sorted(given))


def no_such_group() -> NotFound:
    return NotFound("No such group in this organization.", code="scim_group_not_found")
