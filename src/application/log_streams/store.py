"""Where the log streams unit keeps an org's streams, their delivery logs and their setup
links (docs/reference/log-streams.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.orgs.ports import OrgPart
from domain.log_streams.streams import LogStream, StreamDelivery


class StreamStore(OrgPart, Protocol):
    """``log_streams/{id}``, ``log_stream_orgs/{org_id}`` (the org's streams' ids: what
    bounds them to ``MAX_STREAMS``, in the commit that adds one) and
    ``log_stream_deliveries/{id}`` (each stream's delivery log)."""

    def add(self, stream: LogStream, most: int) -> None:
        """Store ``stream`` unless its org has ``most`` streams already (Conflict
        ``too_many_streams``): of many adds racing, no more than ``most`` win."""
        ...

    def get(self, stream_id: str) -> LogStream | None: ...

    def of_org(self, org_id: str) -> list[LogStream]:
        """The org's streams, oldest first."""
        ...

    def active(self) -> list[LogStream]:
        """Every org's active streams (what the outbox reads, through its cache)."""
        ...

    def delete(self, stream_id: str) -> bool:
        """Delete the stream and free its place in its org's; whether there was one."""
        ...

    def lease(self, stream_id: str, now: datetime, until: datetime) -> LogStream | None:
        """The stream, leased to the caller ``until`` then, if it is due (``LogStream.due``);
        None if it is not (gone, paused, waiting for its retry, or leased already)."""
        ...

    def change(
        self, stream_id: str, change: Callable[[LogStream], LogStream | None]
    ) -> LogStream | None:
        """Apply ``change`` to the stream as stored, in one transaction (None from it: leave
        the stream as it is); the stream as it is now, None if it is gone."""
        ...

    def record(self, delivery: StreamDelivery) -> None:
        """Add one line to the stream's delivery log."""
        ...

    def deliveries(self, stream_id: str, limit: int) -> list[StreamDelivery]:
        """The stream's delivery log's newest ``limit`` lines, newest first."""
        ...


@dataclass(frozen=True)
class StreamLink:
    """A setup link: ``hashed`` its token's hash; made by the owner ``made_by`` of
    ``org_id``; single-use, until ``expires_at``."""

    hashed: str
    org_id: str
    made_by: str
    created_at: datetime
    expires_at: datetime
    spent_at: datetime | None = None


class StreamLinks(OrgPart, Protocol):
    """``log_stream_links/{hash}``."""

    def put(self, link: StreamLink) -> None: ...

    def get(self, hashed: str) -> StreamLink | None: ...

    def spend(self, hashed: str, now: datetime) -> StreamLink | None:
        """Mark the link spent, if it is unspent and not expired at ``now``; the link, None if
        it could not be spent (of many racing, one spends it)."""
        ...

    def unspend(self, hashed: str) -> None:
        """The link usable again (what it was to make failed)."""
        ...
