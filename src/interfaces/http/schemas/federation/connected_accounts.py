"""GET /auth/identities (docs/reference/identities.md)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from interfaces.http.schemas.common import Schema


class IdentityOut(Schema):
    provider: str = Field(description="The provider's id: `firebase`, or an upstream provider's")
    subject: str = Field(description="The person's id at the provider")
    email: str | None = Field(description="The address the provider gave when it was linked")
    linked_at: datetime


class IdentityList(Schema):
    items: list[IdentityOut]
