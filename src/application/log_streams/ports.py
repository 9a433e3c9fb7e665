"""What the log streams unit asks of its destinations (docs/log-streams.md): one stream's
destination takes records in order and says how many it took."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class StreamRecord:
    """One event as a stream sends it: ``id`` the event's (a receiver drops one it has),
    ``at`` its time, ``type`` firegate's name of it, ``body`` the event in the stream's
    format (one JSON object)."""

    id: str
    at: datetime
    type: str
    body: str


class DestinationDown(Exception):
    """The destination took ``taken`` of the records (the first ones), then failed:
    ``reason`` says why, in a few words kept in the stream's delivery log."""

    def __init__(self, reason: str, taken: int = 0) -> None:
        super().__init__(reason)
        self.reason, self.taken = reason, taken


class Destination(Protocol):
    """One stream's destination, made from its settings."""

    def send(self, records: Sequence[StreamRecord]) -> None:
        """Send ``records`` in their order; DestinationDown if not every one was taken."""
        ...
