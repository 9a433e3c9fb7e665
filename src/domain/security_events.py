"""A stored security event: what a person and an admin read about an account
(docs/reference/events.md)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

KEPT_FOR = timedelta(days=90)  # the Firestore TTL on ``expires_at`` (docs/operations.md)


@dataclass(frozen=True)
class SecurityEvent:
    """One stored event about the account ``user_id``; ``actor_id`` when someone else acted."""

    id: str
    at: datetime
    type: str
    user_id: str
    outcome: str = "success"
    ip: str | None = None
    user_agent: str | None = None
    device_id: str | None = None
    actor_id: str | None = None
    reason: str | None = None

    @property
    def expires_at(self) -> datetime:
        return self.at + KEPT_FOR

    def as_owner_sees_it(self) -> SecurityEvent:
        """The event on the account owner's own list: where another person acted (an
        admin), that person's address and browser are theirs, and are left out."""
        if self.actor_id is None or self.actor_id == self.user_id:
            return self
        return replace(self, ip=None, user_agent=None)
