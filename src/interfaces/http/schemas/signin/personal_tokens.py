from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from domain.signin.personal_tokens import MAX_LIFETIME, NAME_MAX, PersonalToken
from interfaces.http.schemas.common import PageOut, Schema, Strict, single_line

Scope = Literal["read", "write"]
MAX_SECONDS = int(MAX_LIFETIME.total_seconds())


def _whole(value: object) -> object:
    """JSON has one kind of number: ``1.0`` is the integer 1 to JSON Schema, and so here;
    ``1.5`` stays a float, which the strict integer refuses."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeNumber = Annotated[int, BeforeValidator(_whole)]


class PersonalTokenCreate(Strict):
    name: str = Field(
        min_length=1, max_length=NAME_MAX, examples=["backup script"], json_schema_extra=single_line
    )
    scopes: list[Scope] = Field(
        min_length=1,
        max_length=2,
        description="read: GET and HEAD; write: every method",
        examples=[["read"]],
    )
    expires_in: WholeNumber = Field(ge=1, le=MAX_SECONDS, description="Seconds, at most a year")
    org: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        examples=["acme"],
        description="the id or slug of an org of the caller's: the token acts in it while "
        "they are a member",
        json_schema_extra=single_line,
    )


class PersonalTokenCreated(Schema):
    id: str
    name: str
    scopes: list[Scope]
    expires_at: datetime
    org_id: str | None = Field(description="the org it acts in; null: none")
    token: str = Field(
        description="fgp_…: the bearer token, shown here only (stored hashed)",
        examples=["fgp_…"],
    )


class PersonalTokenOut(Schema):
    id: str
    name: str
    scopes: list[Scope]
    created_at: datetime
    expires_at: datetime = Field(description="Past: expired (it no longer works)")
    org_id: str | None = Field(description="the org it acts in; null: none")

    @classmethod
    def of(cls, token: PersonalToken) -> PersonalTokenOut:
        return cls(
            id=token.id,
            name=token.name,
            scopes=list(token.scopes),
            created_at=token.created_at,
            expires_at=token.expires_at,
            org_id=token.org_id,
        )


class PersonalTokenPage(PageOut[PersonalTokenOut]):
    pass
