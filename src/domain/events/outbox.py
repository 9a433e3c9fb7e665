"""The events' outbox for the units that send events on (an org's log streams, shared
signals): one entry per event and destination, written in the commit of the change that
caused the event, so that a destination gets every event at least once
(docs/decisions/0942-one-outbox-for-the-units-that-send-events.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One event, as one destination is to be sent it.

    ``kind``: the unit's outbox that made it (``EventOutbox.kind``), handed the entry again
    once its commit is made; ``key``: its destination (a stream's id), what the unit reads
    its entries by, oldest first by (``at``, ``id``); ``body``: what is sent, as the unit
    made it; ``expires_at``: when Firestore's TTL may delete an entry never sent (None:
    never)."""

    id: str
    kind: str
    key: str
    at: datetime
    body: str
    expires_at: datetime | None = None
