"""Guests' expiry (docs/guests.md, "Expiry"): the sweep that deletes each guest unused for
GUEST_TTL with everything it owns, through the deletion every account's deletion runs
(``delete_account``: its tombstone, then each capability's owned data, then the account), so
nothing a guest made outlives it (docs/decisions/0558-a-guests-expiry-and-its-sweep.md)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from application.accounts.accounts import EndsBeforeDeletion, UserRepository, delete_account
from application.ports import AuditLog, Clock, OwnedData
from domain.accounts.guest.part import Guest
from domain.errors import DomainError

log = logging.getLogger(__name__)

EXPIRED_AT_ONCE = 200  # the guests one pass deletes at most; the next pass goes on


@dataclass(frozen=True, kw_only=True, slots=True)
class GuestExpiry:
    """The ``guests`` sweep: ``owned`` and ``departures`` are an account deletion's own."""

    users: UserRepository
    clock: Clock
    audit: AuditLog
    owned: Sequence[OwnedData]
    departures: Sequence[EndsBeforeDeletion]

    def sweep(self) -> int:
        """Deletes the guests past their expiry, up to EXPIRED_AT_ONCE; how many. Each is read
        again first: one used (or upgraded) since the query stays. A deletion refused (the
        last owner of an org) leaves that guest for a later pass, logged."""
        now, deleted = self.clock.now(), 0
        for user_id in self.users.expired_guests(now, EXPIRED_AT_ONCE):
            user = self.users.get(user_id)
            guest = user.part(Guest) if user is not None else Guest()
            if not guest.is_guest or guest.expires_at is None or guest.expires_at > now:
                continue
            try:
                delete_account(
                    user_id,
                    users=self.users,
                    clock=self.clock,
                    audit=self.audit,
                    owned=self.owned,
                    departures=self.departures,
                )
            except DomainError as error:
                log.warning("expired guest %s not deleted (%s)", user_id, error.code)
                continue
            deleted += 1
        return deleted
