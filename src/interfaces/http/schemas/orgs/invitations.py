"""Org invitations' requests and answers (docs/reference/orgs.md, "Invitations")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from application.orgs.joining.invitations import LIST_MAX, Joined
from domain.orgs.invitations import OrgInvitation
from domain.orgs.orgs import BUILT_IN_ROLES, CUSTOM_ROLES_MAX
from interfaces.http.schemas.accounts.addresses import new_address
from interfaces.http.schemas.common import Schema, Strict
from interfaces.http.schemas.mail.email import Token

RoleName = Annotated[str, Field(min_length=1, max_length=40, examples=["member"])]


class InvitationCreate(Strict):
    email: str = new_address("ivy@example.com")
    roles: list[RoleName] = Field(
        min_length=1,
        max_length=CUSTOM_ROLES_MAX + len(BUILT_IN_ROLES),
        description="owner, admin, member or the org's own roles; owner only by an owner",
    )


class InvitationOut(Schema):
    id: str
    org_id: str
    email: str = Field(description="The address invited, normalized")
    roles: list[str]
    created_by: str
    created_at: datetime
    expires_at: datetime = Field(description="Past: the link no longer works")
    accepted_by: str | None
    accepted_at: datetime | None

    @classmethod
    def of(cls, invitation: OrgInvitation) -> InvitationOut:
        return cls(
            id=invitation.id,
            org_id=invitation.org_id,
            email=invitation.mailed_to,
            roles=list(invitation.roles),
            created_by=invitation.created_by,
            created_at=invitation.created_at,
            expires_at=invitation.expires_at,
            accepted_by=invitation.accepted_by,
            accepted_at=invitation.accepted_at,
        )


class InvitationList(Schema):
    items: list[InvitationOut] = Field(max_length=LIST_MAX)


class AcceptRequest(Strict):
    token: str = Token


class JoinedOut(Schema):
    """The org joined and the roles the caller holds in it."""

    id: str
    slug: str
    name: str
    roles: list[str]

    @classmethod
    def of(cls, joined: Joined) -> JoinedOut:
        org, roles = joined.org, list(joined.membership.roles)
        return cls(id=org.id, slug=org.slug.value, name=org.name, roles=roles)
