"""Organizations' request and response bodies (docs/reference/orgs.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from application.orgs.members.members import NamedMember
from application.orgs.orgs import OrgMembership
from domain.accounts.attributes import PROPERTIES_MAX
from domain.accounts.profile import NAME_MAX
from domain.events.security_events import SecurityEvent
from domain.orgs.orgs import (
    BREAK_GLASS_MAX,
    CUSTOM_ROLES_MAX,
    EDITABLE,
    SLUG_MAX,
    SLUG_MIN,
    Membership,
    Org,
)
from interfaces.http.schemas.common import (
    PageOut,
    Schema,
    Strict,
    no_null,
    not_null,
    single_line,
    single_line_not_null,
)
from interfaces.http.schemas.events.events import EventOut

SLUG_PATTERN = f"^[a-z0-9-]{{{SLUG_MIN},{SLUG_MAX}}}$"
SlugField = Field(
    min_length=SLUG_MIN,
    max_length=SLUG_MAX,
    pattern=SLUG_PATTERN,
    examples=["acme"],
    description="a-z, 0-9 and '-'; unique, look-alikes of a taken one refused",
)
Roles = Field(
    min_length=1,
    max_length=3 + CUSTOM_ROLES_MAX,
    examples=[["admin"]],
    description="owner, admin, member and the org's custom_roles, each once",
)
DomainPolicyName = Literal["none", "suggest", "auto_join"]


class OrgCreate(Strict):
    slug: str = SlugField
    name: str = Field(
        min_length=1, max_length=NAME_MAX, examples=["Acme Inc."], json_schema_extra=single_line
    )


# An id firegate makes (domain/ids.py is_id): what the document says of each user id given.
USER_ID_PATTERN = r"^(?!__.*__$)[A-Za-z0-9_-]{1,64}$"


def _user_ids(schema: dict[str, Any]) -> None:
    """A list of distinct user ids, never null (the use case refuses any other list with 422
    ``invalid_sso_break_glass``)."""
    not_null(schema)
    schema["items"] = {"type": "string", "pattern": USER_ID_PATTERN}
    schema["uniqueItems"] = True


class OrgPatch(Strict):
    """Only the fields given change; none may be null."""

    name: str | None = Field(
        default=None, min_length=1, max_length=NAME_MAX, json_schema_extra=single_line_not_null
    )
    slug: str | None = Field(
        default=None,
        min_length=SLUG_MIN,
        max_length=SLUG_MAX,
        pattern=SLUG_PATTERN,
        json_schema_extra=not_null,
    )
    domain_policy: DomainPolicyName | None = Field(default=None, json_schema_extra=not_null)
    require_mfa: bool | None = Field(default=None, json_schema_extra=not_null)
    custom_roles: list[str] | None = Field(
        default=None,
        max_length=CUSTOM_ROLES_MAX,
        description="The org's own role names ([a-z0-9_:.-]{1,40}), carried in tokens",
        json_schema_extra=not_null,
    )
    require_sso: bool | None = Field(
        default=None,
        description="Members on the org's verified domains sign in only through its single "
        "sign-on (owners only; needs an active connection)",
        json_schema_extra=not_null,
    )
    sso_break_glass: list[str] | None = Field(
        default=None,
        max_length=BREAK_GLASS_MAX,
        description="User ids of owners who may still sign in otherwise (owners only)",
        json_schema_extra=_user_ids,
    )
    impersonation: Literal["allow", "forbid"] | None = Field(
        default=None,
        description="Whether admins may act as the org's members (support access)",
        json_schema_extra=not_null,
    )

    _not_null = field_validator(*EDITABLE, mode="before")(no_null)


class OrgSummary(Schema):
    id: str
    slug: str
    name: str
    created_at: datetime
    roles: list[str] = Field(description="The caller's roles in the org")

    @classmethod
    def of(cls, seen: OrgMembership) -> OrgSummary:
        org = seen.org
        return cls(
            id=org.id,
            slug=org.slug.value,
            name=org.name,
            created_at=org.created_at,
            roles=list(seen.membership.roles),
        )


class OrgOut(OrgSummary):
    updated_at: datetime
    domain_policy: DomainPolicyName
    require_mfa: bool
    custom_roles: list[str]
    require_sso: bool
    sso_break_glass: list[str]
    impersonation: Literal["allow", "forbid"]

    @classmethod
    def of(cls, seen: OrgMembership) -> OrgOut:
        org = seen.org
        return cls(
            **OrgSummary.of(seen).model_dump(),
            updated_at=org.updated_at,
            domain_policy=org.domain_policy.value,
            require_mfa=org.require_mfa,
            custom_roles=list(org.custom_roles),
            require_sso=org.require_sso,
            sso_break_glass=list(org.sso_break_glass),
            impersonation=org.impersonation.value,
        )


class OrgList(Schema):
    items: list[OrgSummary]


class SuggestedOrg(Schema):
    """An org the caller may join: their proven address is on its verified domain."""

    id: str
    slug: str
    name: str

    @classmethod
    def of(cls, org: Org) -> SuggestedOrg:
        return cls(id=org.id, slug=org.slug.value, name=org.name)


class SuggestedOrgList(Schema):
    items: list[SuggestedOrg]


class MemberOut(Schema):
    user_id: str
    roles: list[str]
    permissions: list[str] = Field(description="Sorted: the union of its roles' permissions")
    joined_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, member: Membership) -> MemberOut:
        return cls(
            user_id=member.user_id,
            roles=list(member.roles),
            permissions=list(member.permissions),
            joined_at=member.joined_at,
            updated_at=member.updated_at,
        )


class NamedMemberOut(MemberOut):
    """A member as the list answers it: with the account's username and names, and its
    address to those who manage members."""

    username: str | None = Field(description="null: an account deleted since")
    name: str | None
    last_name: str | None
    email: str | None = Field(
        description="the account's address, to the org's owners and admins only (null to "
        "members, and for an account without one)"
    )

    @classmethod
    def named(cls, member: NamedMember) -> NamedMemberOut:
        person = member.person
        return cls(
            **MemberOut.of(member.membership).model_dump(),
            username=person.username,
            name=person.name,
            last_name=person.last_name,
            email=person.email,
        )


class MemberPage(PageOut[NamedMemberOut]):
    pass


class MemberPatch(Strict):
    roles: list[str] = Roles


class MemberAttributesPatch(Strict):
    attributes: dict[str, Any] = Field(
        max_length=PROPERTIES_MAX,
        description=(
            "the member's profile attributes to write as org_admin (a null removes one); the "
            "others stay as they are (docs/reference/orgs.md, Members' attributes)"
        ),
        examples=[{"department": "Sales", "floor": None}],
    )


class MemberAttributesOut(Schema):
    attributes: dict[str, Any] = Field(
        description="the member's profile attributes org_admin reads (the schema's x-read)"
    )


class OrgEventOut(EventOut):
    user_id: str = Field(description="Whom it is about: the member, or who acted")
    org_id: str

    @classmethod
    def of(cls, event: SecurityEvent) -> OrgEventOut:
        return cls(
            **EventOut.of(event).model_dump(), user_id=event.user_id, org_id=event.org_id or ""
        )


class OrgEventPage(PageOut[OrgEventOut]):
    pass
