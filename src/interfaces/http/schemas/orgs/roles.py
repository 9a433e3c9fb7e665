"""An org's roles with their permissions: request and response bodies (docs/reference/orgs.md,
"Roles and permissions")."""

from __future__ import annotations

from pydantic import Field

from application.orgs.members.members import OrgRoleView
from application.orgs.members.templates import RoleTemplateView
from domain.orgs.roles import DESCRIPTION_MAX, PERMISSIONS_MAX
from interfaces.http.schemas.common import Schema, Strict


class RolePut(Strict):
    description: str = Field(
        default="", max_length=DESCRIPTION_MAX, examples=["Sends and refunds invoices"]
    )
    permissions: list[str] = Field(
        max_length=PERMISSIONS_MAX,
        examples=[["invoices:read", "invoices:write"]],
        description="Each once: 1 to 60 of a-z, 0-9 and '_:.-', or an API resource's scope",
    )


class RoleOut(Schema):
    name: str
    description: str
    permissions: list[str] = Field(description="Sorted")
    builtin: bool = Field(description="owner, admin, member: firegate's rights besides")
    members: int | None = Field(description="How many hold it; null unless you manage members")
    template: bool = Field(
        default=False, description="A role every org has, defined by firegate's admins"
    )

    @classmethod
    def of(cls, role: OrgRoleView) -> RoleOut:
        return cls(
            name=role.name,
            description=role.description,
            permissions=list(role.permissions),
            builtin=role.builtin,
            members=role.members,
            template=role.template,
        )


class RoleList(Schema):
    items: list[RoleOut]


class TemplateOut(Schema):
    name: str
    description: str
    permissions: list[str] = Field(description="Sorted")
    members: int = Field(description="How many memberships hold it, in every org")

    @classmethod
    def of(cls, template: RoleTemplateView) -> TemplateOut:
        return cls(
            name=template.name,
            description=template.description,
            permissions=list(template.permissions),
            members=template.members,
        )


class TemplateList(Schema):
    items: list[TemplateOut]
