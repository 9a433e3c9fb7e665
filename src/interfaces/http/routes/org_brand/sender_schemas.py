"""An org's own sender's request and response bodies (docs/reference/org-sender.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from application.org_brand.senders import SenderView
from interfaces.http.schemas.accounts.addresses import new_address
from interfaces.http.schemas.common import Schema, Strict


class SenderPut(Strict):
    address: str = new_address("news@mail.example.com")


class SenderRecordOut(Schema):
    check: Literal["spf", "dkim", "dmarc"] = Field(description="the check that reads it")
    type: Literal["TXT"] = "TXT"
    name: str = Field(examples=["mail.example.com"])
    value: str = Field(
        description="what to publish: the SPF policy (or its include: added to the one the "
        "domain has), the operator's DKIM key, a DMARC policy (an example)",
        examples=["v=spf1 include:_spf.mail.example ~all"],
    )


class SenderOut(Schema):
    address: str = Field(examples=["news@mail.example.com"])
    domain: str = Field(description="the address's domain, as IDNA 2008 A-labels")
    status: Literal["pending", "verified", "failed"] = Field(
        description="pending until a check finds the records; failed when a later check "
        "(the daily one) did not: mails go from this address only while verified"
    )
    missing: list[Literal["spf", "dkim", "dmarc"]] = Field(
        description="what the last check found missing"
    )
    records: list[SenderRecordOut] = Field(description="the records the domain publishes")
    created_at: datetime
    checked_at: datetime | None
    verified_at: datetime | None

    @staticmethod
    def of(view: SenderView) -> SenderOut:
        sender = view.sender
        return SenderOut.model_validate(
            {
                "address": sender.address,
                "domain": sender.domain,
                "status": sender.status.value,
                "missing": list(sender.missing),
                "records": [
                    {"check": r.check, "type": r.type, "name": r.name, "value": r.value}
                    for r in view.records
                ],
                "created_at": sender.created_at,
                "checked_at": sender.checked_at,
                "verified_at": sender.verified_at,
            }
        )
