"""What the SSF transmitter keeps and calls: the clients registered to hold a stream, the
streams and their subjects, the SETs it writes itself (a verification's), and the POST of
a pushed SET (docs/reference/ssf.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.events.outbox import OutboxEntry
from domain.shared_signals.transmitter.streams import Stream, Subject


class TransmitterStore(Protocol):
    """``ssf_clients/{client_id}``, ``ssf_streams/{client_id}`` (one stream per client) and
    ``ssf_subjects/{stream_id}:{user_id}``."""

    def allow_client(self, client_id: str, at: datetime) -> None:
        """Let this client hold a stream (``clients create --ssf``)."""
        ...

    def client_allowed(self, client_id: str) -> bool: ...

    def create(self, stream: Stream) -> None:
        """Store a client's stream; Conflict (``stream_exists``) if it has one."""
        ...

    def of_client(self, client_id: str) -> Stream | None: ...

    def get(self, stream_id: str) -> Stream | None: ...

    def save(self, stream: Stream) -> None:
        """Replace the client's stream (it exists)."""
        ...

    def delete(self, stream: Stream) -> None:
        """Delete the stream and its subjects."""
        ...

    def add_subject(self, stream_id: str, client_id: str, user_id: str, subject: Subject) -> None:
        """The stream follows the account ``user_id``, named in its SETs as ``subject``
        (the last one added of it)."""
        ...

    def remove_subject(self, stream_id: str, user_id: str) -> None: ...

    def following(self, user_id: str) -> list[tuple[Stream, Subject]]:
        """The streams that follow the account, each with the subject it named."""
        ...

    def take_push(self, stream: Stream, holder: str, now: datetime, until: datetime) -> bool:
        """The stream's push is ``holder``'s until ``until``, unless another holds it past
        ``now``: one push job per stream at once, so that no SET overtakes another."""
        ...

    def release_push(self, stream: Stream, holder: str) -> None:
        """``holder`` is done pushing (no error if it no longer holds it)."""
        ...

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        """The account is deleted: no stream follows it any more (``OWNED_DATA``)."""
        ...

    def add_entry(self, entry: OutboxEntry) -> None:
        """An outbox entry of no stored event (a verification's SET), in the events'
        outbox beside the others, read back the same way."""
        ...


@dataclass(frozen=True, slots=True)
class PushAnswer:
    status: int
    body: bytes


class SetPusher(Protocol):
    """The POST of a SET (RFC 8935 §2): the answer whatever its status, or
    WebhookUnreachable (application/outbound.py) when none came."""

    def push(
        self, url: str, body: str, headers: Mapping[str, str], address: str | None
    ) -> PushAnswer: ...
