from __future__ import annotations

from datetime import datetime

from pydantic import Field

from domain.scim.tokens import ScimToken
from domain.signin.personal_tokens import NAME_MAX
from interfaces.http.schemas.common import PageOut, Schema, Strict, single_line


class ScimTokenCreate(Strict):
    name: str = Field(
        min_length=1, max_length=NAME_MAX, examples=["Okta"], json_schema_extra=single_line
    )


class ScimTokenOut(Schema):
    id: str
    name: str
    created_at: datetime
    created_by: str = Field(description="the id of the admin who made it")

    @classmethod
    def of(cls, token: ScimToken) -> ScimTokenOut:
        return cls(
            id=token.id, name=token.name, created_at=token.created_at, created_by=token.created_by
        )


class ScimTokenCreated(ScimTokenOut):
    token: str = Field(
        description="fgs_…: the directory's bearer token, shown here only (stored hashed)",
        examples=["fgs_…"],
    )


class ScimTokenPage(PageOut[ScimTokenOut]):
    pass
