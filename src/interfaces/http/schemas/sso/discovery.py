"""Home-realm discovery's query and answer (docs/reference/sso.md, "Home-realm discovery")."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from application.sso.discovery import Discovered
from domain.accounts.credentials import EMAIL_MAX
from interfaces.http.schemas.common import Schema


class DiscoverQuery(Schema):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(
        min_length=3,
        max_length=EMAIL_MAX,
        description="An address: only its domain is read",
        examples=["ada@corp.example"],
    )


class DiscoveredConnection(Schema):
    id: str
    kind: Literal["saml", "oidc"]
    name: str


class DiscoveredOut(Schema):
    connection: DiscoveredConnection
    url: str = Field(description="Where a browser starts signing in through the connection")
    domain: str = Field(
        description="The org's verified domain the address is on, exactly (IDNA 2008 "
        "A-labels): what to show a person, so a look-alike another org verified is told apart",
        examples=["corp.example"],
    )

    @classmethod
    def of(cls, found: Discovered) -> DiscoveredOut:
        connection = found.connection
        return cls(
            connection=DiscoveredConnection(
                id=connection.id, kind=connection.kind.value, name=connection.name
            ),
            url=found.url,
            domain=found.domain,
        )
