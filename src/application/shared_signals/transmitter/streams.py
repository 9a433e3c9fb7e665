"""The SSF transmitter's stream management (SSF 1.0 §8): a client registered with ``--ssf``
manages its one stream with its own access token, adds and removes the subjects it
follows, asks for a verification SET, and, on a poll stream, takes its SETs (RFC 8936)
(docs/reference/ssf.md; docs/decisions/0955-the-ssf-transmitters-streams.md)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from application.accounts.accounts import UserRepository
from application.events.outbox import OutboxEntries
from application.ports import Clock, JobQueue, SecretBox
from application.shared_signals.transmitter.outbox import (
    SetSigner,
    entry_of,
    queue_pushes,
)
from application.shared_signals.transmitter.ports import TransmitterStore
from domain.accounts.credentials import login_key
from domain.accounts.users import User
from domain.errors import DomainError, NotFound, PermissionDenied
from domain.ids import new_id
from domain.shared_signals.event_types import VERIFICATION
from domain.shared_signals.transmitter.events import SUPPORTED, set_claims
from domain.shared_signals.transmitter.streams import (
    DISABLED,
    ENABLED,
    METHODS,
    POLL,
    Delivery,
    InvalidStreamRequest,
    Stream,
    Subject,
    status_request,
    stream_request,
    subject_of,
)

log = logging.getLogger("firegate.shared_signals")

POLL_PATH = "/ssf/poll/"  # + the stream's id: a poll stream's endpoint_url
MAX_EVENTS = 100  # a poll's SETs at most (RFC 8936 §2.1 ``maxEvents``)
ACK_WINDOW = 500  # a poll's acks are looked for among the stream's oldest SETs this many
NOT_AN_SSF_CLIENT = "not_an_ssf_client"
STREAM_NOT_FOUND = "stream_not_found"


@dataclass(frozen=True, slots=True)
class SsfCaller:
    """A client calling with its own access token (client credentials)."""

    client_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class TransmitterPolicy:
    """``issuer``: the provider's; ``public_url``: where the poll endpoints are; ``local``:
    the local profile (a push receiver may be on http); ``verification_interval``: the
    seconds between two verifications the request limit lets through (None: no limit)."""

    issuer: str
    public_url: str
    local: bool
    verification_interval: int | None = None


@dataclass(frozen=True, slots=True)
class Polled:
    sets: dict[str, str]
    more_available: bool


def _not_found() -> NotFound:
    return NotFound("No such stream.", code=STREAM_NOT_FOUND)


@dataclass(frozen=True, kw_only=True, slots=True)
class Transmitter:
    """The transmitter's use cases (SSF 1.0 §7, §8)."""

    store: TransmitterStore
    entries: OutboxEntries
    users: UserRepository
    box: SecretBox  # seals a push's authorization header
    sign: SetSigner
    clock: Clock
    queue: JobQueue
    policy: TransmitterPolicy

    def configuration(self) -> dict[str, Any]:
        """The transmitter's metadata (SSF 1.0 §7.1): ``/.well-known/ssf-configuration``."""
        base = self.policy.public_url.rstrip("/")
        return {
            "spec_version": "1_0",
            "issuer": self.policy.issuer,
            "jwks_uri": base + "/.well-known/jwks.json",
            "delivery_methods_supported": list(METHODS),
            "configuration_endpoint": base + "/ssf/streams",
            "status_endpoint": base + "/ssf/streams/status",
            "add_subject_endpoint": base + "/ssf/streams/subjects:add",
            "remove_subject_endpoint": base + "/ssf/streams/subjects:remove",
            "verification_endpoint": base + "/ssf/streams/verify",
            "authorization_schemes": [{"spec_urn": "urn:ietf:rfc:6749"}],
            "default_subjects": "NONE",
            "events_supported": list(SUPPORTED),
        }

    def register_client(self, client_id: str) -> None:
        """``clients create --ssf``: this client may hold a stream."""
        self.store.allow_client(client_id, self.clock.now())

    def _allowed(self, caller: SsfCaller) -> None:
        if not self.store.client_allowed(caller.client_id):
            raise PermissionDenied(
                "This client is not registered for shared signals (clients create --ssf).",
                code=NOT_AN_SSF_CLIENT,
            )

    def _own(self, caller: SsfCaller, stream_id: str | None) -> Stream:
        """The caller's stream, which ``stream_id`` (where given) must name."""
        self._allowed(caller)
        stream = self.store.of_client(caller.client_id)
        if stream is None or (stream_id is not None and stream_id != stream.id):
            raise _not_found()
        return stream

    def _shown(self, stream: Stream) -> dict[str, Any]:
        return stream.configuration(self.policy.issuer, self.policy.verification_interval)

    def _kept(self, stream_id: str, delivery: Delivery) -> Delivery:
        """A receiver's delivery as kept: a push's authorization header sealed (the secret
        box's), a poll's endpoint firegate's."""
        if delivery.method != POLL:
            header = delivery.authorization_header
            sealed = None if header is None else self.box.seal(header)
            return Delivery(delivery.method, delivery.endpoint_url, sealed)
        return Delivery(POLL, self.policy.public_url.rstrip("/") + POLL_PATH + stream_id)

    def create(self, caller: SsfCaller, data: Mapping[str, Any]) -> dict[str, Any]:
        """A stream for the caller (SSF 1.0 §8.1.1.1); Conflict (409 ``stream_exists``) when
        it has one."""
        self._allowed(caller)
        asked = stream_request(data, local=self.policy.local, whole=True)
        stream_id = new_id()
        delivery = asked.delivery or Delivery(POLL, "")  # none named: poll
        stream = Stream(
            id=stream_id,
            client_id=caller.client_id,
            delivery=self._kept(stream_id, delivery),
            events_requested=asked.events_requested or (),
            created_at=self.clock.now(),
            description=asked.description,
        )
        self.store.create(stream)
        return self._shown(stream)

    def read(
        self, caller: SsfCaller, stream_id: str | None
    ) -> list[dict[str, Any]] | dict[str, Any]:
        """The caller's stream (SSF 1.0 §8.1.1.2): without ``stream_id``, a list of its one
        stream, or none."""
        if stream_id is not None:
            return self._shown(self._own(caller, stream_id))
        self._allowed(caller)
        stream = self.store.of_client(caller.client_id)
        return [] if stream is None else [self._shown(stream)]

    def change(self, caller: SsfCaller, data: Mapping[str, Any], *, whole: bool) -> dict[str, Any]:
        """An update (PATCH: what it names; SSF 1.0 §8.1.1.3) or a replace (PUT: all of it,
        §8.1.1.4) of the caller's stream, named by ``stream_id`` in the body."""
        stream_id = data.get("stream_id")
        if not isinstance(stream_id, str):
            raise InvalidStreamRequest("'stream_id' is required.")
        stream = self._own(caller, stream_id)
        asked = stream_request(data, local=self.policy.local, whole=whole)
        delivery = (
            stream.delivery if asked.delivery is None else self._kept(stream.id, asked.delivery)
        )
        changed = replace(
            stream,
            delivery=delivery,
            events_requested=(
                asked.events_requested
                if asked.events_requested is not None or whole
                else stream.events_requested
            )
            or (),
            description=asked.description if whole or asked.description else stream.description,
        )
        self.store.save(changed)
        return self._shown(changed)

    def delete(self, caller: SsfCaller, stream_id: str | None) -> None:
        """Delete the caller's stream, its subjects and the SETs it had not taken."""
        if stream_id is None:
            raise InvalidStreamRequest("'stream_id' is required.")
        stream = self._own(caller, stream_id)
        self.store.delete(stream)
        self.entries.remove_key(stream.id)

    def status(self, caller: SsfCaller, stream_id: str | None) -> dict[str, str]:
        """The stream's status (SSF 1.0 §8.1.2.1)."""
        if stream_id is None:
            raise InvalidStreamRequest("'stream_id' is required.")
        return self._own(caller, stream_id).status_of()

    def set_status(self, caller: SsfCaller, data: Mapping[str, Any]) -> dict[str, str]:
        """Enable, pause (its SETs kept until it is enabled again) or disable (its SETs
        dropped, none made) the stream (SSF 1.0 §8.1.2.2)."""
        stream_id = data.get("stream_id")
        if not isinstance(stream_id, str):
            raise InvalidStreamRequest("'stream_id' is required.")
        stream = self._own(caller, stream_id)
        status, reason = status_request(data)
        changed = replace(stream, status=status, reason=reason)
        self.store.save(changed)
        if status == DISABLED:
            self.entries.remove_key(stream.id)
        elif status == ENABLED and stream.status != ENABLED:
            queue_pushes(self.queue, [stream.id])
        return changed.status_of()

    def _user_of(self, subject: Subject) -> User | None:
        """The account a subject names, if any: an ``opaque`` id is its id; an ``iss_sub``
        the provider's issuer and an ID token's ``sub``; an ``email`` an account's proven
        address."""
        if subject.format == "opaque":
            user = self.users.get(subject.field("id"))
        elif subject.format == "iss_sub":
            same = subject.field("iss").rstrip("/") == self.policy.issuer.rstrip("/")
            user = self.users.get(subject.field("sub")) if same else None
        else:
            try:
                key = login_key(subject.field("email"))
            except DomainError:
                return None
            user = self.users.find_by_login(key)
            if user is not None and not user.email_verified:
                user = None
        if user is None or user.deleted_at is not None:
            return None
        return user

    def _subject_request(
        self, caller: SsfCaller, data: Mapping[str, Any]
    ) -> tuple[Stream, Subject]:
        stream_id = data.get("stream_id")
        if not isinstance(stream_id, str):
            raise InvalidStreamRequest("'stream_id' is required.")
        stream = self._own(caller, stream_id)
        return stream, subject_of(data.get("subject"))

    def add_subject(self, caller: SsfCaller, data: Mapping[str, Any]) -> None:
        """Follow a subject (SSF 1.0 §8.1.3.2). One that names no account is accepted and
        followed by nothing, so that the answer tells no one which accounts exist."""
        stream, subject = self._subject_request(caller, data)
        user = self._user_of(subject)
        if user is not None:
            self.store.add_subject(stream.id, stream.client_id, user.id, subject)

    def remove_subject(self, caller: SsfCaller, data: Mapping[str, Any]) -> None:
        """Stop following a subject (SSF 1.0 §8.1.3.3); one not followed is no error."""
        stream, subject = self._subject_request(caller, data)
        user = self._user_of(subject)
        if user is not None:
            self.store.remove_subject(stream.id, user.id)

    def verify(self, caller: SsfCaller, data: Mapping[str, Any]) -> None:
        """A verification SET with the receiver's ``state`` (SSF 1.0 §8.1.4), sent as the
        stream's others are, after them."""
        stream_id = data.get("stream_id")
        if not isinstance(stream_id, str):
            raise InvalidStreamRequest("'stream_id' is required.")
        stream = self._own(caller, stream_id)
        state = data.get("state")
        if state is not None and (not isinstance(state, str) or len(state) > 1024):
            raise InvalidStreamRequest("'state' must be a string of at most 1024 characters.")
        if stream.status == DISABLED:
            return  # SSF 1.0 §8.1.2: a disabled stream is sent nothing
        now, jti = self.clock.now(), new_id()
        claims = set_claims(
            issuer=self.policy.issuer,
            audience=stream.client_id,
            jti=jti,
            issued_at=int(now.timestamp()),
            subject={"format": "opaque", "id": stream.id},
            events={VERIFICATION: {} if state is None else {"state": state}},
        )
        entry = entry_of(stream, jti, now, self.sign(claims))
        self.store.add_entry(entry)
        queue_pushes(self.queue, [stream.id])

    def poll(
        self,
        caller: SsfCaller,
        stream_id: str,
        *,
        ack: Sequence[str],
        errors: Mapping[str, Any],
        max_events: int | None,
    ) -> Polled:
        """RFC 8936 §2: the SETs acknowledged (``ack``) or refused (``setErrs``, logged) are
        removed; then up to ``max_events`` (all but ``MAX_EVENTS`` at most) of the oldest
        others, none while the stream is paused or disabled. Answered at once, whether
        ``returnImmediately`` or not (docs/decisions/0955-the-ssf-transmitters-streams.md)."""
        stream = self._own(caller, stream_id)
        if stream.delivery.method != POLL:
            raise InvalidStreamRequest("This stream is delivered by push, not polled.")
        gone = {*ack, *errors}
        if gone:
            pending = {entry.id for entry in self.entries.oldest(stream.id, ACK_WINDOW)}
            for jti, error in errors.items():
                if jti in pending:
                    log.warning(
                        "ssf SET %s refused by stream %s's receiver: %s",
                        jti,
                        stream.id,
                        error.get("err") if isinstance(error, dict) else error,
                        extra={"ssf_stream": stream.id},
                    )
            self.entries.remove([jti for jti in gone if jti in pending])
        limit = MAX_EVENTS if max_events is None else min(max_events, MAX_EVENTS)
        if limit <= 0 or stream.status != ENABLED:
            return Polled({}, False)
        found = self.entries.oldest(stream.id, limit + 1)
        return Polled({entry.id: entry.body for entry in found[:limit]}, len(found) > limit)
