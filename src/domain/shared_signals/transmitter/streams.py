"""A relying party's SSF stream (SSF 1.0 §8.1.1): how its events are delivered, which it
asked for and which it gets, its status, and the subjects it follows (RFC 9493)
(docs/reference/ssf.md, "Streams")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from domain.errors import Unreadable
from domain.shared_signals.transmitter.events import SUPPORTED

PUSH = "urn:ietf:rfc:8935"
POLL = "urn:ietf:rfc:8936"
METHODS = (PUSH, POLL)
ENABLED, PAUSED, DISABLED = "enabled", "paused", "disabled"
STATUSES = (ENABLED, PAUSED, DISABLED)
MAX_DESCRIPTION = 256
MAX_URL = 2048
MAX_HEADER = 4096
MAX_REASON = 256
# A receiver's fields it may send but cannot set: the transmitter's own (SSF 1.0 §8.1.1).
READ_ONLY = (
    "stream_id",
    "iss",
    "aud",
    "events_supported",
    "events_delivered",
    "min_verification_interval",
)
SUBJECT_FORMATS = ("email", "iss_sub", "opaque")


class InvalidStreamRequest(Unreadable):
    """A stream's configuration, status or subject that SSF does not allow (400)."""

    code = "invalid_stream_request"
    title = "Invalid stream request"


@dataclass(frozen=True, slots=True)
class Delivery:
    """``method`` (PUSH or POLL); ``endpoint_url``: the receiver's (push), or the
    transmitter's poll endpoint (poll, set by firegate); ``authorization_header``: what a
    push is sent with, as the receiver gave it (a request's) or sealed (a stream's, kept),
    never shown back."""

    method: str
    endpoint_url: str
    authorization_header: str | None = None

    def shown(self) -> dict[str, str]:
        return {"method": self.method, "endpoint_url": self.endpoint_url}


@dataclass(frozen=True, slots=True)
class Stream:
    """One client's stream: ``id`` its stream_id, ``client_id`` its receiver (the SETs'
    ``aud``)."""

    id: str
    client_id: str
    delivery: Delivery
    events_requested: tuple[str, ...]
    created_at: datetime
    description: str | None = None
    status: str = ENABLED
    reason: str | None = None

    @property
    def events_delivered(self) -> tuple[str, ...]:
        """The requested events the transmitter supports, in the supported order."""
        return tuple(uri for uri in SUPPORTED if uri in self.events_requested)

    def configuration(self, issuer: str, verification_interval: int | None) -> dict[str, Any]:
        """Its configuration as SSF 1.0 §8.1.1 shows it; ``verification_interval``: the
        seconds a receiver waits between two verifications not to be refused (None: no
        limit)."""
        return {
            "stream_id": self.id,
            "iss": issuer,
            "aud": self.client_id,
            "delivery": self.delivery.shown(),
            "events_supported": list(SUPPORTED),
            "events_requested": list(self.events_requested),
            "events_delivered": list(self.events_delivered),
            **({"description": self.description} if self.description is not None else {}),
            **(
                {"min_verification_interval": verification_interval}
                if verification_interval is not None
                else {}
            ),
        }

    def status_of(self) -> dict[str, str]:
        return {
            "stream_id": self.id,
            "status": self.status,
            **({"reason": self.reason} if self.reason else {}),
        }


@dataclass(frozen=True, slots=True)
class StreamRequest:
    """What a receiver asked of its stream: ``delivery`` None where it named none (a
    create's: poll; an update's: unchanged)."""

    delivery: Delivery | None
    events_requested: tuple[str, ...] | None
    description: str | None


def _text(data: Mapping[str, Any], name: str, limit: int) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > limit:
        raise InvalidStreamRequest(f"'{name}' must be a string of 1 to {limit} characters.")
    return value


def _delivery(value: Any, *, local: bool) -> Delivery | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidStreamRequest("'delivery' must be an object.")
    method = value.get("method")
    if method not in METHODS:
        raise InvalidStreamRequest(f"'delivery.method' must be {PUSH} or {POLL}.")
    if method == POLL:
        if value.get("endpoint_url") is not None:
            raise InvalidStreamRequest("A poll stream's endpoint_url is the transmitter's.")
        return Delivery(POLL, "")
    url = _text(value, "endpoint_url", MAX_URL)
    if url is None:
        raise InvalidStreamRequest("A push stream needs 'delivery.endpoint_url'.")
    parts = urlsplit(url)
    schemes = ("https", "http") if local else ("https",)
    if parts.scheme not in schemes or not parts.hostname or parts.fragment:
        raise InvalidStreamRequest("'delivery.endpoint_url' must be an https URL.")
    header = _text(value, "authorization_header", MAX_HEADER)
    if header is not None and any(c in header for c in "\r\n\0"):
        raise InvalidStreamRequest("'delivery.authorization_header' must be one line.")
    return Delivery(PUSH, url, header)


def _events(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(uri, str) for uri in value):
        raise InvalidStreamRequest("'events_requested' must be an array of event type URIs.")
    if len(value) > 64:
        raise InvalidStreamRequest("'events_requested' names at most 64 event types.")
    return tuple(dict.fromkeys(value))


def stream_request(data: Mapping[str, Any], *, local: bool, whole: bool) -> StreamRequest:
    """A receiver's configuration (a create's or a replace's: ``whole``; an update's names
    only what changes). The transmitter's own fields are taken and ignored, as SSF 1.0
    §8.1.1.3 lets a receiver send back what it read."""
    request = StreamRequest(
        delivery=_delivery(data.get("delivery"), local=local),
        events_requested=_events(data.get("events_requested")),
        description=_text(data, "description", MAX_DESCRIPTION),
    )
    if whole and request.delivery is None:
        return replace(request, delivery=Delivery(POLL, ""))
    return request


def status_request(data: Mapping[str, Any]) -> tuple[str, str | None]:
    """The status a receiver sets (SSF 1.0 §8.1.2.2) and why."""
    status = data.get("status")
    if status not in STATUSES:
        raise InvalidStreamRequest("'status' must be enabled, paused or disabled.")
    return str(status), _text(data, "reason", MAX_REASON)


@dataclass(frozen=True, slots=True)
class Subject:
    """A subject of a stream (RFC 9493): its ``format`` and fields, as the receiver named it
    (the SETs' ``sub_id``)."""

    format: str
    fields: tuple[tuple[str, str], ...]

    def as_json(self) -> dict[str, str]:
        return {"format": self.format, **dict(self.fields)}

    def field(self, name: str) -> str:
        return dict(self.fields)[name]


def subject_of(value: Any) -> Subject:
    """A receiver's subject (SSF 1.0 §8.1.3): an ``email``, ``iss_sub`` or ``opaque``
    (firegate's user id) identifier; any other format is refused."""
    if not isinstance(value, dict):
        raise InvalidStreamRequest("'subject' must be a subject identifier (RFC 9493).")
    form = value.get("format")
    names: Sequence[str] = {"email": ("email",), "iss_sub": ("iss", "sub"), "opaque": ("id",)}.get(
        form if isinstance(form, str) else "", ()
    )
    if not names:
        raise InvalidStreamRequest("'subject.format' must be email, iss_sub or opaque.")
    fields = []
    for name in names:
        field = value.get(name)
        if not isinstance(field, str) or not field or len(field) > MAX_URL:
            raise InvalidStreamRequest(f"An {form} subject needs '{name}'.")
        fields.append((name, field))
    return Subject(str(form), tuple(fields))
