"""The units that send stored events on (an org's log streams, shared signals): what they
give the audit trail (``EventOutbox``), and how they read and clear their entries
(``OutboxEntries``), written in the events' commits
(docs/decisions/0942-one-outbox-for-the-units-that-send-events.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.events.outbox import OutboxEntry
from domain.events.security_events import SecurityEvent


class EventOutbox(Protocol):
    """A unit that sends stored events on (an org's log streams, shared signals): the
    entries it makes of an event, written in the event's commit, and what it does once they
    are (queue their sending). ``kind`` names it: it is handed its own entries only
    (docs/decisions/0942-one-outbox-for-the-units-that-send-events.md)."""

    @property
    def kind(self) -> str: ...

    def entries(self, event: SecurityEvent) -> Sequence[OutboxEntry]:
        """The entries of ``event``, none for a destination that does not take it; may
        raise (the event is stored all the same, without them, and this logged)."""
        ...

    def stored(self, entries: Sequence[OutboxEntry]) -> None:
        """``entries``, its own, are committed; must not raise."""
        ...


class OutboxEntries(Protocol):
    """The outbox's entries, as their unit reads them: a destination's oldest first."""

    def oldest(self, key: str, limit: int) -> list[OutboxEntry]:
        """Up to ``limit`` of the entries for ``key``, oldest first by (``at``, ``id``)."""
        ...

    def remove(self, entry_ids: Sequence[str]) -> None:
        """Delete these entries (sent, or their destination gone); an id not found is no
        error."""
        ...

    def remove_key(self, key: str) -> int:
        """Delete every entry for ``key`` (its destination deleted); how many."""
        ...
