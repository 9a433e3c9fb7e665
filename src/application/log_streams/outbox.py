"""The log streams' outbox: the entries of a stored event for each active stream that sees
it, written in the event's commit, and their delivery queued once committed
(docs/log-streams.md; docs/decisions/0942-one-outbox-for-the-units-that-send-events.md).

An event of an org's (``org_id``) goes to that org's streams only; one about a person alone
(a sign-in, a factor's change) to the streams of every org the person is a member of. What
orgs stream is read at most once per ``CACHE_SECONDS`` per process, and a person's orgs only
when some org streams: when none does, an event costs no read."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta

from application.log_streams.formats import STREAMED, Product, envelope
from application.log_streams.store import StreamStore
from application.ports import Clock, Job, JobQueue
from application.remembered import KeptCopy
from domain.events.outbox import OutboxEntry
from domain.events.security_events import SecurityEvent
from domain.ids import new_id
from domain.log_streams.streams import LogStream

log = logging.getLogger("firegate.log_streams")

KIND = "log_streams"  # the outbox's kind, its entries'
DELIVER = "log_streams.deliver"  # the job that delivers one stream's entries (subject: its id)
CACHE_SECONDS = 45
ENTRY_KEPT = timedelta(days=7)  # an entry never sent is dropped this long after its event
MEMBERSHIPS_READ = 200  # a person's orgs read at most

# The ids of the orgs a person (a user id) is a member of.
Memberships = Callable[[str], Sequence[str]]


class StreamCache:
    """The active streams by org, read at most once per ``ttl`` per process; a change made
    through this process drops the copy. On a failed read an expired copy is kept."""

    def __init__(self, store: StreamStore, clock: Clock, ttl: float = CACHE_SECONDS) -> None:
        self._copy = KeptCopy(
            lambda: _by_org(store.active()), clock=clock, ttl=ttl, log=log, what="log streams"
        )

    def by_org(self) -> dict[str, tuple[LogStream, ...]]:
        return self._copy.get()

    def drop(self) -> None:
        self._copy.drop()


def _by_org(found: Sequence[LogStream]) -> dict[str, tuple[LogStream, ...]]:
    """The streams of each org, oldest first."""
    by_org: dict[str, tuple[LogStream, ...]] = {}
    for stream in sorted(found, key=lambda s: (s.created_at, s.id)):
        by_org[stream.org_id] = (*by_org.get(stream.org_id, ()), stream)
    return by_org


class StreamOutbox:
    """The unit's ``EventOutbox``, lent before the orgs are: ``bind`` gives it the reading
    of a person's orgs once they lend it (an event about a person alone before then is not
    streamed, and this is logged by the audit trail)."""

    kind = KIND

    def __init__(self, *, cache: StreamCache, queue: JobQueue, product: Product) -> None:
        self._cache, self._queue, self._product = cache, queue, product
        self._memberships: Memberships | None = None

    def bind(self, memberships: Memberships) -> None:
        self._memberships = memberships

    def entries(self, event: SecurityEvent) -> Sequence[OutboxEntry]:
        if event.type not in STREAMED:
            return []
        streaming = self._cache.by_org()
        if not streaming:
            return []
        if event.org_id is not None:
            orgs: Sequence[str] = (event.org_id,)
        elif self._memberships is None:
            raise LookupError("the log streams' outbox is not bound to the orgs yet")
        else:
            orgs = [org_id for org_id in self._memberships(event.user_id) if org_id in streaming]
        made: list[OutboxEntry] = []
        for org_id in dict.fromkeys(orgs):
            for stream in streaming.get(org_id, ()):
                try:
                    body = envelope(event, stream.format, self._product)
                except Exception as error:  # one format's failure costs only its streams
                    log.warning(
                        "log stream %s: %s not formatted (%s)",
                        stream.id,
                        event.type,
                        type(error).__name__,
                    )
                    continue
                made.append(
                    OutboxEntry(
                        id=new_id(),
                        kind=KIND,
                        key=stream.id,
                        at=event.at,
                        body=body,
                        expires_at=event.at + ENTRY_KEPT,
                    )
                )
        return made

    def stored(self, entries: Sequence[OutboxEntry]) -> None:
        for key in dict.fromkeys(entry.key for entry in entries):
            try:
                self._queue.enqueue(Job(DELIVER, key))
            except Exception as error:  # the sweep queues it later
                log.warning("log stream delivery not queued (%s)", type(error).__name__)
