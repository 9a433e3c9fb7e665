"""An org's own sender: its owners set the address and check its domain's records, the daily
re-check keeps them honest, and the mails about the org go from it once verified
(docs/reference/org-sender.md; docs/decisions/0891-who-sets-and-reads-an-orgs-sender.md).

The DNS is read outside any write: a check reads the sender, looks the records up, then
stores its finding only if the sender is still the address it checked (compare-and-set), so
a change of address during a check is never marked verified by it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Protocol

from application.accounts.admin import CLI_ACTOR
from application.orgs.joining.domains import TxtRecords
from application.orgs.orgs import member_view
from application.orgs.ports import OrgDomainReads, OrgRepository
from application.ports import Audit, AuditEvent, AuditLog, Clock, MailBrand
from application.signin.authentication import Actor
from domain.errors import Conflict, NotFound, Unavailable
from domain.ids import is_id
from domain.org_brand.mail_auth import Alignment, alignment, dkim_name, dmarc_names
from domain.org_brand.sender import (
    OrgSender,
    SenderNotAligned,
    sender_domain,
    sender_not_found,
)
from domain.orgs.roles import Permission

SWEEP_BATCH = 100  # senders read at a time by the daily re-check
# The audit log's ``org.updated`` names what changed by this word; what the daily re-check
# changed, no person, it names by ``via``
SENDER = "sender"
RECHECK = "recheck"


class SenderRepository(Protocol):
    """``org_senders/{org_id}``: each org's one sender (``OrgSender``)."""

    def get(self, org_id: str) -> OrgSender | None:
        """The org's sender; None if it has none."""
        ...

    def change(self, org_id: str, change: Callable[[OrgSender | None], OrgSender]) -> OrgSender:
        """Store what the pure ``change`` makes of the org's sender (None: it has none) under
        compare-and-set: run again if the sender changed meanwhile; what it raises, raised."""
        ...

    def delete(self, org_id: str) -> bool:
        """Delete the org's sender; whether it had one."""
        ...

    def page(self, after: str | None, limit: int) -> list[OrgSender]:
        """Up to ``limit`` senders of any org, by org id, after ``after``."""
        ...

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        """Delete the org's sender (a purged org's); idempotent."""
        ...


@dataclass(frozen=True)
class SenderRecords:
    """What the operator's mail asks of a sender's domain: ``MAIL_SPF_INCLUDE`` (empty: no
    org may have a sender of its own) and ``MAIL_DKIM_SELECTOR``."""

    spf_include: str
    dkim_selector: str

    @property
    def offered(self) -> bool:
        return bool(self.spf_include)


@dataclass(frozen=True)
class Record:
    """A DNS record the org publishes for its sender: which check reads it, its type, name
    and value (the DKIM key's ``p=`` is the operator's public key of the selector)."""

    check: str
    type: str
    name: str
    value: str


@dataclass(frozen=True)
class SenderView:
    """The sender as its org sees it, with the records its domain must publish."""

    sender: OrgSender
    records: tuple[Record, ...]


@dataclass(frozen=True)
class PutSender:
    actor: Actor
    org: str  # an id or a slug
    address: str


@dataclass(frozen=True)
class SenderRequest:
    actor: Actor
    org: str


def not_offered() -> Conflict:
    return Conflict(
        "This service does not send mail from an organization's own address (its operator "
        "has not set MAIL_SPF_INCLUDE).",
        code="sender_not_offered",
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class OrgSenders:
    """An org's sender as its owners set, read, check and delete it, and as the mails and the
    daily re-check read it. ``txt``: the DNS lookups (``DNS_RESOLVER``)."""

    orgs: OrgRepository
    domains: OrgDomainReads
    senders: SenderRepository
    txt: TxtRecords
    clock: Clock
    records: SenderRecords
    audit: AuditLog

    def _org_id(self, actor: Actor, org: str, permission: Permission) -> str:
        if not self.records.offered:
            raise not_offered()
        return member_view(actor, org, orgs=self.orgs, permission=permission).org.id

    def view(self, sender: OrgSender) -> SenderView:
        """``sender`` with the records its domain must publish."""
        domain, records = sender.domain, self.records
        dmarc = dmarc_names(domain, self.domains.verified(sender.org_id))[-1]
        return SenderView(
            sender,
            (
                Record("spf", "TXT", domain, f"v=spf1 include:{records.spf_include} ~all"),
                Record(
                    "dkim",
                    "TXT",
                    dkim_name(records.dkim_selector, domain),
                    "v=DKIM1; k=rsa; p=<the operator's public key>",
                ),
                Record("dmarc", "TXT", dmarc, f"v=DMARC1; p=quarantine; rua=mailto:dmarc@{domain}"),
            ),
        )

    def put(self, cmd: PutSender) -> SenderView:
        """The org's sender at ``address`` (an owner's), pending until checked: 422
        ``sender_domain_not_verified`` unless on one of the org's verified domains. The same
        address again keeps its state."""
        org_id = self._org_id(cmd.actor, cmd.org, Permission.MANAGE_OWNERS)
        address, domain = sender_domain(cmd.address, self.domains.verified(org_id))
        now = self.clock.now()

        new = False

        def change(before: OrgSender | None) -> OrgSender:
            nonlocal new
            new = before is None or before.address != address
            if before is not None and not new:
                return before
            return OrgSender.create(org_id, address, domain, cmd.actor.user_id, now)

        stored = self.senders.change(org_id, change)
        if new:
            self._audit(stored, cmd.actor.user_id)
        return self.view(stored)

    def get(self, cmd: SenderRequest) -> SenderView:
        """The org's sender (its admins' and owners'): 404 ``sender_not_found`` if none."""
        org_id = self._org_id(cmd.actor, cmd.org, Permission.MANAGE_ORG)
        found = self.senders.get(org_id)
        if found is None:
            raise sender_not_found()
        return self.view(found)

    def delete(self, cmd: SenderRequest) -> None:
        """No sender of its own (an owner's): the mails go from the operator's address."""
        org_id = self._org_id(cmd.actor, cmd.org, Permission.MANAGE_OWNERS)
        found = self.senders.get(org_id)
        if found is None or not self.senders.delete(org_id):
            raise sender_not_found()
        self._audit(found, cmd.actor.user_id)

    def verify(self, cmd: SenderRequest) -> SenderView:
        """Check the sender's records now (an owner's): verified, or 409
        ``sender_not_aligned`` naming what is missing (the sender then pending, or failed if
        it was verified)."""
        org_id = self._org_id(cmd.actor, cmd.org, Permission.MANAGE_OWNERS)
        return self._check(org_id, cmd.actor.user_id)

    def check(self, org_id: str) -> SenderView:
        """Check the org's sender's records and store what was found (the operator's
        command): 404 if it has none, 409 ``sender_not_aligned`` if they are lacking,
        ``sender_changed`` if the sender changed during the check."""
        return self._check(org_id, None)

    def _check(self, org_id: str, user_id: str | None) -> SenderView:
        """``check``, by the owner ``user_id`` (None: the command line); a change of state
        (verified, or failed) is an ``org.updated``."""
        before = self.senders.get(org_id) if is_id(org_id) else None
        if before is None:
            raise sender_not_found()
        found = self._alignment(before)
        after = self._store(before, found)
        if after.status is not before.status:
            self._audit(after, user_id)
        if not found.aligned:
            raise SenderNotAligned(found)
        return self.view(after)

    def _alignment(self, sender: OrgSender) -> Alignment:
        return alignment(
            sender.domain,
            spf_include=self.records.spf_include,
            dkim_selector=self.records.dkim_selector,
            verified=self.domains.verified(sender.org_id),
            lookup=self.txt.lookup,
        )

    def _store(self, checked: OrgSender, found: Alignment) -> OrgSender:
        now = self.clock.now()

        def change(current: OrgSender | None) -> OrgSender:
            if current is None:
                raise sender_not_found()
            return current.checked(checked.address, found, now)

        return self.senders.change(checked.org_id, change)

    def sweep(self) -> int:
        """The daily re-check: each sender verified (or failed since) and not checked for a
        day is checked again; how many were. One whose records are gone goes back to
        ``failed`` (its mails from the operator's address again)."""
        if not self.records.offered:
            return 0
        now, after, checked = self.clock.now(), None, 0
        while True:
            page = self.senders.page(after, SWEEP_BATCH)
            for sender in page:
                if sender.due(now):
                    self._recheck(sender)
                    checked += 1
            if len(page) < SWEEP_BATCH:
                return checked
            after = page[-1].org_id

    def _recheck(self, sender: OrgSender) -> None:
        # Changed or deleted meanwhile: the next pass sees it as it is now; no resolver
        # answering: nothing is known, so nothing changes until the next pass.
        with suppress(Conflict, NotFound, Unavailable):
            after = self._store(sender, self._alignment(sender))
            if after.status is not sender.status:  # failed, or verified again
                self._audit(after, None, via=RECHECK)

    def _audit(self, sender: OrgSender, user_id: str | None, *, via: str | None = None) -> None:
        """``org.updated`` (reason ``sender``) on the org's log: by the owner ``user_id``;
        else about the owner who set the sender (an event is about an account), made on
        the command line (``actor_id`` ``cli``) or, ``via`` set, by the daily re-check."""
        self.audit.record(
            AuditEvent(
                Audit.ORG_UPDATED,
                user_id=user_id or sender.created_by,
                org_id=sender.org_id,
                reason=SENDER,
                actor_id=None if user_id is not None or via is not None else CLI_ACTOR,
                via=via,
            )
        )

    def show(self, org: str) -> SenderView:
        """The org's sender by its id or slug, for the operator: 404 if none."""
        found = self.orgs.find(org)
        sender = self.senders.get(found.id) if found is not None else None
        if sender is None:
            raise sender_not_found()
        return self.view(sender)

    def verified_sender(self, org_id: str) -> str | None:
        """The address mails about the org go from: its sender, once verified; None else
        (the operator's address, "{org} via {SITE_NAME}")."""
        if not self.records.offered or not is_id(org_id):
            return None
        found = self.senders.get(org_id)
        return found.address if found is not None and found.verified else None

    def brand_of(self, org_id: str) -> MailBrand | None:
        """A mail brand for an org with a sender (any state) but no brand of its own: the
        org's name, from its verified sender if it is (``MAIL_BRANDS``, after the brands')."""
        if not self.records.offered or not is_id(org_id):
            return None
        found = self.senders.get(org_id)
        org = self.orgs.get(org_id) if found is not None else None
        if found is None or org is None:
            return None
        return MailBrand(org.name, sender=found.address if found.verified else None)
