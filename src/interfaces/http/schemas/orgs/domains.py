"""An org's verified domains' request and response bodies (docs/reference/orgs.md,
"Verified domains")."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from domain.orgs.domains import NAME_MAX, OrgDomain
from interfaces.http.schemas.common import Schema, Strict, single_line


class OrgDomainCreate(Strict):
    domain: str = Field(
        min_length=1,
        # A Unicode name as typed may be longer than its A-labels, and may end with a dot.
        max_length=4 * NAME_MAX,
        examples=["example.com"],
        description="a domain name (Unicode or A-labels, any case); not an IP address or a "
        "wildcard",
        json_schema_extra=single_line,
    )


class TxtRecordOut(Schema):
    type: Literal["TXT"] = "TXT"
    name: str = Field(examples=["_firegate.example.com"])
    value: str = Field(examples=["firegate-verification=Xq3v0N1c2u7yKkq9S4cJbqg2cV6bW8aF"])


class OrgDomainOut(Schema):
    domain: str = Field(description="the name as IDNA 2008 A-labels, lower case")
    status: Literal["pending", "verified"]
    record: TxtRecordOut = Field(description="the TXT record to publish")
    alternative_name: str = Field(description="where the record may be published instead")
    created_at: datetime
    verified_at: datetime | None
    look_alike_of: list[str] = Field(
        description="other organizations' verified domains that read like this one "
        "(g1ass-x.net beside glass-x.net): each is theirs, and reaches none of this one's "
        "accounts, but a person may take one for the other",
        examples=[["g1ass-x.net"]],
    )

    @staticmethod
    def of(domain: OrgDomain) -> OrgDomainOut:
        return OrgDomainOut(
            domain=domain.domain,
            status=domain.status.value,
            record=TxtRecordOut(name=domain.record_name, value=domain.record_value),
            alternative_name=domain.alternative_name,
            created_at=domain.created_at,
            verified_at=domain.verified_at,
            look_alike_of=list(domain.look_alike_of),
        )


class OrgDomainList(Schema):
    items: list[OrgDomainOut]
