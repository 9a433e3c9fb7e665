"""A stream's delivery: at least once, in order, each event once per stream by its id
(docs/log-streams.md, "Delivery").

The ``log_streams.deliver`` job of a stream takes the stream's lease (a transaction on its
document: one worker at a time), sends its oldest entries in batches through its
destination, removes what was taken, and logs each batch. It stops at the first failure:
the entries after it wait, retried on the webhooks' backoff for 72 hours, then the stream is
paused and its org's owners mailed. The sweep queues the job of every active stream whose
retry is due (and of one a worker died delivering, once its lease is over)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from application.events.outbox import OutboxEntries
from application.log_streams.formats import record_of
from application.log_streams.outbox import DELIVER, StreamCache
from application.log_streams.ports import Destination, DestinationDown, StreamRecord
from application.log_streams.store import StreamStore
from application.ports import Clock, Job, JobQueue
from domain.ids import is_id, new_id
from domain.log_streams.streams import BATCH, LogStream, StreamDelivery

log = logging.getLogger("firegate.log_streams")

LEASE = timedelta(minutes=5)  # a worker's hold on a stream while it delivers
BATCHES = 20  # batches one job sends at most before it queues the next
MAX_REASON = 200

# What makes a stream's destination of its settings (infrastructure/log_streams/).
Destinations = Callable[[LogStream], Destination]


@dataclass(frozen=True, kw_only=True)
class StreamDeliveries:
    """``on_paused``: what follows a stream paused for failing (its owners' mail)."""

    store: StreamStore
    entries: OutboxEntries
    destinations: Destinations
    clock: Clock
    queue: JobQueue
    cache: StreamCache
    on_paused: Callable[[LogStream], None]

    def run(self, job: Job, final: bool) -> None:
        """The ``log_streams.deliver`` job: a failure is the stream's, retried by its own
        schedule, never the job's."""
        if not is_id(job.subject):
            log.warning("unreadable log stream job dropped")
            return
        self.deliver(job.subject)

    def deliver(self, stream_id: str) -> int:
        """Send the stream's waiting entries, oldest first; how many were sent."""
        now = self.clock.now()
        stream = self.store.lease(stream_id, now, now + LEASE)
        if stream is None:
            return 0  # not due, or another worker delivers it
        sent, failed = 0, False
        try:
            destination = self.destinations(stream)
            for _ in range(BATCHES):
                batch = self.entries.oldest(stream.id, BATCH)
                if not batch:
                    break
                taken, reason = self._send(destination, [record_of(e) for e in batch])
                self.entries.remove([entry.id for entry in batch[:taken]])
                sent += taken
                self._log(stream, taken if reason is None else len(batch), reason)
                if reason is not None:
                    failed = True
                    break
        except DestinationDown as down:  # refused before any was sent (not a public address)
            self._log(stream, 0, down.reason[:MAX_REASON] or "failed")
            failed = True
        except Exception as error:  # a destination that cannot be made: the stream's failure
            log.warning("log stream %s not delivered (%s)", stream.id, type(error).__name__)
            self._log(stream, 0, "destination_unusable")
            failed = True
        self._settle(stream, failed, sent)
        return sent

    def _send(
        self, destination: Destination, records: list[StreamRecord]
    ) -> tuple[int, str | None]:
        try:
            destination.send(records)
        except DestinationDown as down:
            return max(0, min(down.taken, len(records))), down.reason[:MAX_REASON] or "failed"
        return len(records), None

    def _log(self, stream: LogStream, events: int, reason: str | None) -> None:
        self.store.record(
            StreamDelivery(
                id=new_id(),
                stream_id=stream.id,
                at=self.clock.now(),
                events=events,
                ok=reason is None,
                reason=reason,
            )
        )

    def _settle(self, stream: LogStream, failed: bool, sent: int) -> None:
        """The lease given back with the outcome; once given back, entries left (or come
        while the lease was held, whose jobs found it taken) are queued again."""
        now = self.clock.now()
        paused: list[LogStream] = []

        def outcome(stored: LogStream) -> LogStream | None:
            if not stored.active:
                return None  # paused meanwhile: the pause's mail is its pauser's
            if failed:
                after = stored.failed(now)
                paused[:] = [] if after.active else [after]
                return after
            if sent or stored.health.failing_since:
                return stored.delivered(now)
            return stored.released()

        after = self.store.change(stream.id, outcome)
        if after is None:
            return
        if paused:
            self.cache.drop()
            log.warning("log stream %s paused: failing since %s", stream.id, paused[0].paused_at)
            self.on_paused(paused[0])
        elif not failed and self.entries.oldest(stream.id, 1):
            self.queue.enqueue(Job(DELIVER, stream.id))

    def sweep(self) -> int:
        """Queue the delivery of every active stream that is due: its retry's time has
        come, or it has entries a crash left (checked by its job). How many were queued."""
        now = self.clock.now()
        due = [stream for stream in self.store.active() if stream.due(now)]
        for stream in due:
            self.queue.enqueue(Job(DELIVER, stream.id))
        return len(due)

    def test(self, stream: LogStream, record: StreamRecord) -> StreamDelivery:
        """One test record sent now, past the stream's order and schedule, and logged."""
        try:
            destination = self.destinations(stream)
            taken, reason = self._send(destination, [record])
        except DestinationDown as down:
            taken, reason = 0, down.reason[:MAX_REASON] or "failed"
        except Exception as error:
            log.warning("log stream %s test not sent (%s)", stream.id, type(error).__name__)
            taken, reason = 0, "destination_unusable"
        line = StreamDelivery(
            id=new_id(),
            stream_id=stream.id,
            at=self.clock.now(),
            events=1,
            ok=reason is None and taken == 1,
            reason=reason,
            test=True,
        )
        self.store.record(line)
        return line
