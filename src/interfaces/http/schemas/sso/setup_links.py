"""Setup links' request and response bodies (docs/reference/sso.md, "Setup links")."""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field, field_validator

from application.sso.setup import OpenSetupLink
from domain.sso.connections import NAME_MAX
from interfaces.http.schemas.common import Schema, Strict, no_null, not_null, single_line_not_null
from interfaces.http.schemas.sso.connections import Kind


class SetupLinkCreate(Strict):
    """The connection to set up (a draft or switched off), or the kind of a new one."""

    # Exactly one of the two, as the use case checks (422 connection_or_kind), stated in the
    # document so that clients (and the fuzzer) know it.
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"oneOf": [{"required": ["connection"]}, {"required": ["kind"]}]},
    )

    connection: str | None = Field(
        default=None,
        max_length=40,
        description="an existing connection's id",
        json_schema_extra=not_null,
    )
    kind: Kind | None = Field(
        default=None, description="a new connection of this kind", json_schema_extra=not_null
    )
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=NAME_MAX,
        description="the new connection's name (default: after its kind)",
        json_schema_extra=single_line_not_null,
    )

    _not_null = field_validator("connection", "kind", "name", mode="before")(no_null)


class SetupLinkMadeOut(Schema):
    url: str = Field(description="the link, shown this once: only its hash is kept")
    expires_at: datetime
    connection_id: str


class SetupLinkOut(Schema):
    connection_id: str
    connection_name: str
    kind: Kind
    created_by: str
    created_at: datetime
    expires_at: datetime

    @staticmethod
    def of(seen: OpenSetupLink) -> SetupLinkOut:
        connection, link = seen.connection, seen.link
        return SetupLinkOut(
            connection_id=connection.id,
            connection_name=connection.name,
            kind=connection.kind.value,
            created_by=link.created_by,
            created_at=link.created_at,
            expires_at=link.expires_at,
        )


class SetupLinkList(Schema):
    items: list[SetupLinkOut]
