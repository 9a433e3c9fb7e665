"""A stored security event: what a person and an admin read about an account
(docs/reference/events.md)."""

from __future__ import annotations

from dataclasses import dataclass
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
