"""An org's own sender: the address the mails about the org go from once its domain publishes
the operator's SPF include, DKIM key and a DMARC policy (docs/reference/org-sender.md).

``pending`` until a check finds the records, ``verified`` then; a later check (the daily
re-check, or one asked for) that finds them gone makes it ``failed``, and mails go from the
operator's address again until one finds them back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from domain.accounts.credentials import Email
from domain.errors import Conflict, InvalidInput, NotFound
from domain.org_brand.mail_auth import Alignment
from domain.orgs.domains import domain_name

RECHECK_EVERY = timedelta(days=1)  # a verified sender's records are checked again this often
FIELD = "address"


class SenderStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    FAILED = "failed"


class SenderNotAligned(Conflict):
    """409: the sender's domain does not publish what is needed; ``missing`` names the checks
    (``spf``, ``dkim``, ``dmarc``), ``problems`` says what each found wrong."""

    code = "sender_not_aligned"

    def __init__(self, alignment: Alignment) -> None:
        words = "; ".join(problem for _, problem in alignment.problems)
        super().__init__(
            f"The sender's domain does not publish what mail from it needs: {words}. "
            "DNS changes can take a while to show: try again later."
        )
        self.missing = alignment.missing
        self.problems = dict(alignment.problems)


def sender_not_found() -> NotFound:
    return NotFound("This organization has no sender of its own.", code="sender_not_found")


def sender_changed() -> Conflict:
    return Conflict(
        "The sender changed while its records were checked; check again.", code="sender_changed"
    )


def sender_domain(address: str, verified: Sequence[str]) -> tuple[str, str]:
    """The address (as given, checked by the address rule) and its domain (A-labels), which
    must be one of ``verified`` or under one: 422 ``invalid_email``, else
    ``sender_domain_not_verified``."""
    try:
        email = Email(address.strip())
        domain = domain_name(email.value.rpartition("@")[2])
    except InvalidInput:
        raise InvalidInput.field(FIELD, "Not a valid e-mail address.", "invalid_email") from None
    if not any(domain == name or domain.endswith("." + name) for name in verified):
        raise InvalidInput.field(
            FIELD,
            f"{domain} is not one of the organization's verified domains (nor under one): "
            "verify the domain first.",
            "sender_domain_not_verified",
        )
    return email.value, domain


@dataclass(frozen=True, kw_only=True)
class OrgSender:
    """``org_senders/{org_id}``: the org's one sender, its state and its last check."""

    org_id: str
    address: str
    domain: str
    status: SenderStatus
    created_by: str
    created_at: datetime
    updated_at: datetime
    checked_at: datetime | None = None
    verified_at: datetime | None = None
    missing: tuple[str, ...] = ()

    @classmethod
    def create(cls, org_id: str, address: str, domain: str, by: str, now: datetime) -> OrgSender:
        return cls(
            org_id=org_id,
            address=address,
            domain=domain,
            status=SenderStatus.PENDING,
            created_by=by,
            created_at=now,
            updated_at=now,
        )

    @property
    def verified(self) -> bool:
        return self.status is SenderStatus.VERIFIED

    def checked(self, address: str, found: Alignment, now: datetime) -> OrgSender:
        """This sender after a check of ``address``'s records found ``found``: verified when
        aligned, else pending (never verified) or failed (verified before). 409
        ``sender_changed`` if the sender is another address now (changed during the check)."""
        if address != self.address:
            raise sender_changed()
        if found.aligned:
            status = SenderStatus.VERIFIED
        elif self.status is SenderStatus.PENDING:
            status = SenderStatus.PENDING
        else:
            status = SenderStatus.FAILED
        return replace(
            self,
            status=status,
            checked_at=now,
            updated_at=now,
            verified_at=(self.verified_at if self.verified else now) if found.aligned else None,
            missing=found.missing,
        )

    def due(self, now: datetime) -> bool:
        """Whether the daily re-check should look at it: verified (or failed since), last
        checked a day ago."""
        if self.status is SenderStatus.PENDING:
            return False
        return self.checked_at is None or now - self.checked_at >= RECHECK_EVERY
