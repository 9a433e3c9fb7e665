"""The SSF transmitter's SETs: made of each stored security event for the streams that follow
its account (``SetOutbox``, an ``EventOutbox``: written in the event's own commit), and sent
on in order, to a push stream's receiver by a job per stream (``SetPush``, RFC 8935), or
taken by a poll stream's receiver (``streams.py``, RFC 8936)
(docs/reference/ssf.md, "Delivery")."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from application.events.outbox import OutboxEntries
from application.jobs import RetryJob
from application.json_text import UnreadableJson, read_json
from application.outbound import HostResolver, WebhookUnreachable, public_address_of
from application.ports import Clock, Job, JobQueue, SecretBox
from application.shared_signals.transmitter.ports import SetPusher, TransmitterStore
from domain.events.outbox import OutboxEntry
from domain.events.security_events import SecurityEvent
from domain.ids import new_id
from domain.shared_signals.transmitter.events import set_claims, set_events
from domain.shared_signals.transmitter.streams import ENABLED, PAUSED, PUSH, Stream

log = logging.getLogger("firegate.shared_signals")

KIND = "ssf"  # the outbox entries' kind (``EventOutbox.kind``)
PUSH_SETS = "ssf_push"  # the job that pushes a stream's SETs; its subject the stream's id
KEPT = timedelta(days=7)  # how long a SET waits to be sent or polled (the outbox's TTL)
BATCH = 50  # a push job's read of a stream's SETs
MAX_BATCHES = 20  # then it queues itself again
# How long a push job holds its stream: longer than MAX_BATCHES * BATCH pushes would take at
# the webhooks' deadline is not needed, as a job that dies leaves it to the next after this.
PUSH_LEASE = timedelta(minutes=5)
SENT, MORE, STOPPED = "sent", "more", "stopped"  # how a push job ended
SET_MEDIA_TYPE = "application/secevent+jwt"

type SetSigner = Callable[[dict[str, Any]], str]


@dataclass(frozen=True, kw_only=True, slots=True)
class SetOutbox:
    """The audit trail's ``EventOutbox`` of the transmitter: of an event the transmitter
    sends (``set_events``), one signed SET per stream that follows its account and per
    event type that stream gets (SSF 1.0 §4: one event a SET; ``txn`` the stored event's id),
    none for a disabled stream; once committed, a push job per stream. A stream whose client
    was deleted since is sent nothing: its job is queued at once, and deletes it with its
    subjects and SETs (``SetPush``), a poll stream's as a push stream's."""

    store: TransmitterStore
    sign: SetSigner
    issuer: str
    clock: Clock
    queue: JobQueue
    client_exists: Callable[[str], bool]

    @property
    def kind(self) -> str:
        return KIND

    def entries(self, event: SecurityEvent) -> list[OutboxEntry]:
        events = set_events(event)
        if not events:
            return []  # most events (sign-ins): no read of the streams
        made: list[OutboxEntry] = []
        issued_at = int(self.clock.now().timestamp())
        for stream, subject in self.store.following(event.user_id):
            if not self.client_exists(stream.client_id):
                queue_pushes(self.queue, (stream.id,))  # whose run deletes it
                continue
            if stream.status not in (ENABLED, PAUSED):
                continue  # a disabled stream is sent nothing, and holds nothing
            for uri in stream.events_delivered:
                if uri not in events:
                    continue
                jti = new_id()
                claims = set_claims(
                    issuer=self.issuer,
                    audience=stream.client_id,
                    jti=jti,
                    issued_at=issued_at,
                    subject=subject.as_json(),
                    events={uri: events[uri]},
                    txn=event.id,
                )
                made.append(entry_of(stream, jti, event.at, self.sign(claims)))
        return made

    def stored(self, entries: Sequence[OutboxEntry]) -> None:
        queue_pushes(self.queue, (entry.key for entry in entries))


def entry_of(stream: Stream, jti: str, at: datetime, body: str) -> OutboxEntry:
    """A stream's SET as an outbox entry: its id the SET's ``jti`` (a poll's ack names it)."""
    return OutboxEntry(id=jti, kind=KIND, key=stream.id, at=at, body=body, expires_at=at + KEPT)


def queue_pushes(queue: JobQueue, stream_ids: Iterable[str]) -> None:
    """A push job for each of these streams (a poll stream's does nothing); never raises: a
    stream's next job sends what this one would have."""
    for key in dict.fromkeys(stream_ids):
        try:
            queue.enqueue(Job(PUSH_SETS, key))
        except Exception as error:
            log.warning("ssf push not queued (%s)", type(error).__name__)


def _refusal(answer_body: bytes) -> str | None:
    """RFC 8935 §2.3's ``err`` of a 400 answer, when it has one."""
    try:
        found = read_json(answer_body.decode("utf-8"))
    except (UnreadableJson, UnicodeDecodeError):
        return None
    err = found.get("err") if isinstance(found, dict) else None
    return err if isinstance(err, str) else None


@dataclass(frozen=True, kw_only=True, slots=True)
class SetPush:
    """The push job of a stream (RFC 8935): its SETs oldest first, each POSTed as
    ``application/secevent+jwt`` with the stream's authorization header. 202 (any 2xx):
    delivered, removed; 400 with an ``err``: refused for good, removed and logged; anything
    else: the job is retried with the queue's backoff, from that SET, so that none overtakes
    another. A paused stream keeps its SETs until it is enabled; outside the local profile a
    receiver must be at a public address (docs/security.md, "Webhooks"). The stream of a
    client deleted since is deleted, with its SETs, instead."""

    store: TransmitterStore
    entries: OutboxEntries
    pusher: SetPusher
    box: SecretBox  # opens a stream's authorization header
    resolver: HostResolver
    queue: JobQueue
    clock: Clock
    local: bool
    client_exists: Callable[[str], bool]

    def run(self, job: Job, final: bool) -> None:
        stream = self.store.get(job.subject)
        if stream is None:
            self.entries.remove_key(job.subject)  # its stream deleted: nobody takes them
            return
        if not self.client_exists(stream.client_id):  # its client deleted: so is the stream
            self.store.delete(stream)
            self.entries.remove_key(stream.id)
            return
        if stream.delivery.method != PUSH or stream.status != ENABLED:
            return
        holder, now = new_id(), self.clock.now()
        if not self.store.take_push(stream, holder, now, now + PUSH_LEASE):
            return  # another job pushes them; it looks again once done
        try:
            outcome = self._push(stream, final)
        finally:
            self.store.release_push(stream, holder)
        # more than one job sends; or SETs made while it pushed, whose jobs found it held
        if outcome == MORE or (outcome == SENT and self.entries.oldest(stream.id, 1)):
            self.queue.enqueue(Job(PUSH_SETS, stream.id))

    def _push(self, stream: Stream, final: bool) -> str:
        """SENT: every SET it read was sent; MORE: there are more than one job sends;
        STOPPED: a failure on the job's last attempt (the SETs kept for the next job)."""
        for _ in range(MAX_BATCHES):
            batch = self.entries.oldest(stream.id, BATCH)
            for entry in batch:
                if not self._sent(stream, entry, final):
                    return STOPPED
            if len(batch) < BATCH:
                return SENT
        return MORE

    def _sent(self, stream: Stream, entry: OutboxEntry, final: bool) -> bool:
        url = stream.delivery.endpoint_url
        headers = {"Content-Type": SET_MEDIA_TYPE, "Accept": "application/json"}
        if stream.delivery.authorization_header is not None:
            headers["Authorization"] = self.box.open(stream.delivery.authorization_header)
        address = None
        try:
            if not self.local:
                address, refused = public_address_of(url, self.resolver)
                if refused is not None:
                    raise WebhookUnreachable(refused)
            answer = self.pusher.push(url, entry.body, headers, address)
        except WebhookUnreachable as error:
            return self._failed(stream, error.cause, final)
        if 200 <= answer.status < 300:
            self.entries.remove([entry.id])
            return True
        err = _refusal(answer.body) if answer.status == 400 else None
        if err is not None:
            log.warning(
                "ssf SET %s refused by stream %s's receiver: %s",
                entry.id,
                stream.id,
                err,
                extra={"ssf_stream": stream.id, "ssf_err": err},
            )
            self.entries.remove([entry.id])
            return True
        return self._failed(stream, f"status_{answer.status}", final)

    def _failed(self, stream: Stream, cause: str, final: bool) -> bool:
        log.warning(
            "ssf push to stream %s failed: %s",
            stream.id,
            cause,
            extra={"ssf_stream": stream.id, "outbound_cause": cause},
        )
        if final:
            return False  # kept: the stream's next job sends them
        raise RetryJob(f"The receiver of stream {stream.id} did not take its SET ({cause}).")
