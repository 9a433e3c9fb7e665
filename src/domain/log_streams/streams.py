"""An org's log streams: where its audit events go, in what format, and how a stream's
delivery fares (docs/log-streams.md, docs/reference/log-streams.md)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from domain.errors import Conflict, FieldError, InvalidInput, NotFound
from domain.events.webhooks import RetryPolicy
from domain.public_urls import check_url
from domain.text import has_control

MAX_STREAMS = 3  # an org's streams at most
# A stream fails for this long, retried with the webhooks' backoff, then it is paused.
PAUSE_AFTER = timedelta(hours=72)
RETRY = RetryPolicy(first=timedelta(seconds=5), window=PAUSE_AFTER)
BATCH = 100  # the entries one delivery sends at most
DELIVERIES_SHOWN = 100  # the delivery log's newest
DELIVERIES_KEPT = timedelta(days=30)  # a delivery log's line's life (its TTL)
MAX_FIELD = 2048
_TOPIC = re.compile(r"projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/topics/[A-Za-z][\w.~+%-]{2,254}")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]")
_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]")


class StreamKind(StrEnum):
    HTTPS = "https"
    SPLUNK_HEC = "splunk_hec"
    SYSLOG = "syslog"
    PUBSUB = "pubsub"
    GCS = "gcs"


class StreamFormat(StrEnum):
    OCSF = "ocsf"
    FIREGATE = "firegate"


class StreamState(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


# The fields each kind takes (every one required); any other is refused.
KIND_FIELDS: dict[StreamKind, tuple[str, ...]] = {
    StreamKind.HTTPS: ("url",),
    StreamKind.SPLUNK_HEC: ("url", "token"),
    StreamKind.SYSLOG: ("host", "port"),
    StreamKind.PUBSUB: ("topic",),
    StreamKind.GCS: ("bucket",),
}
SECRET_FIELDS = ("token",)  # sealed, never shown back
COMMON_FIELDS = ("kind", "format")


@dataclass(frozen=True)
class StreamHealth:
    """How a stream's delivery fares: ``failing_since`` its first failure in a row (None:
    the last delivery went through), ``failures`` how many in a row, ``retry_at`` when it
    is tried again (None: at once), ``lease_until`` the worker's that delivers it now."""

    failing_since: datetime | None = None
    failures: int = 0
    retry_at: datetime | None = None
    lease_until: datetime | None = None
    last_delivery_at: datetime | None = None
    last_delivery_ok: bool | None = None


@dataclass(frozen=True)
class LogStream:
    """One stream of an org's. ``target``: the kind's fields but its secret (``url``,
    ``host``/``port``, ``topic``, ``bucket``); ``sealed_secret``: an https stream's signing
    secret, or a Splunk HEC token, sealed by sign-in's secret box ("" for none)."""

    id: str
    org_id: str
    kind: StreamKind
    format: StreamFormat
    target: Mapping[str, str | int]
    created_at: datetime
    sealed_secret: str = ""
    state: StreamState = StreamState.ACTIVE
    paused_at: datetime | None = None
    health: StreamHealth = field(default_factory=StreamHealth)

    @property
    def active(self) -> bool:
        return self.state is StreamState.ACTIVE

    def due(self, now: datetime) -> bool:
        """Active, no retry waited for, and no worker's lease on it."""
        health = self.health
        return (
            self.active
            and (health.retry_at is None or health.retry_at <= now)
            and (health.lease_until is None or health.lease_until <= now)
        )

    def delivered(self, now: datetime) -> LogStream:
        """What a delivery that went through leaves: healthy, its lease given back."""
        return replace(self, health=StreamHealth(last_delivery_at=now, last_delivery_ok=True))

    def failed(self, now: datetime) -> LogStream:
        """What a failed delivery leaves: retried after the backoff, paused once it has
        failed for ``PAUSE_AFTER``."""
        since = self.health.failing_since or now
        failures = self.health.failures + 1
        retry_at = RETRY.next_attempt(since, failures, now)
        health = StreamHealth(
            failing_since=since,
            failures=failures,
            retry_at=retry_at,
            last_delivery_at=now,
            last_delivery_ok=False,
        )
        if retry_at is None:
            return replace(self, state=StreamState.PAUSED, paused_at=now, health=health)
        return replace(self, health=health)

    def released(self) -> LogStream:
        """Its lease given back, nothing else changed (nothing was waiting)."""
        return replace(self, health=replace(self.health, lease_until=None))

    def leased(self, until: datetime) -> LogStream:
        return replace(self, health=replace(self.health, lease_until=until))

    def resumed(self) -> LogStream:
        """Active again, tried at once, its failures forgotten."""
        return replace(self, state=StreamState.ACTIVE, paused_at=None, health=StreamHealth())


@dataclass(frozen=True)
class StreamDelivery:
    """One line of a stream's delivery log: when, how many events, ok or why not."""

    id: str
    stream_id: str
    at: datetime
    events: int
    ok: bool
    reason: str | None = None
    test: bool = False  # the owners' test event

    @property
    def expires_at(self) -> datetime:
        return self.at + DELIVERIES_KEPT


@dataclass(frozen=True)
class StreamSetup:
    """A new stream's settings, checked: ``secret`` the token to seal (Splunk HEC's)."""

    kind: StreamKind
    format: StreamFormat
    target: dict[str, str | int]
    secret: str = ""


def too_many_streams() -> Conflict:
    return Conflict(
        f"An organization has at most {MAX_STREAMS} log streams; delete one first.",
        code="too_many_streams",
    )


def stream_not_found() -> NotFound:
    return NotFound("No such log stream in this organization.", code="stream_not_found")


def stream_not_paused() -> Conflict:
    return Conflict("This log stream is not paused.", code="stream_not_paused")


def checked_setup(body: Mapping[str, object], *, local: bool) -> StreamSetup:
    """The settings of a new stream from ``body``, each field checked: 422 naming every bad
    one, another kind's field among them (``field_not_allowed``), or one no kind takes
    (``unknown_field``)."""
    errors: list[FieldError] = []
    kind = _choice(body.get("kind"), StreamKind, "kind", "invalid_stream_kind", errors)
    fmt = _choice(body.get("format"), StreamFormat, "format", "invalid_stream_format", errors)
    if kind is None:
        raise InvalidInput.of(errors)
    allowed = (*COMMON_FIELDS, *KIND_FIELDS[kind])
    known = {field for fields in KIND_FIELDS.values() for field in fields}
    errors += [
        FieldError(name, f"A {kind.value} stream takes no {name}.", "field_not_allowed")
        if name in known
        else FieldError(name, "Unknown field.", "unknown_field")
        for name in sorted(body)
        if name not in allowed
    ]
    target: dict[str, str | int] = {}
    secret = ""
    for name in KIND_FIELDS[kind]:
        value = body.get(name)
        problem = _field_problem(kind, name, value, local=local)
        if problem is not None:
            errors.append(FieldError(name, problem, f"invalid_stream_{name}"))
        elif name in SECRET_FIELDS:
            secret = str(value)
        else:
            target[name] = value if isinstance(value, int) else str(value)
    if errors or fmt is None:
        raise InvalidInput.of(errors)
    return StreamSetup(kind=kind, format=fmt, target=target, secret=secret)


def _choice[E: StrEnum](
    value: object, kind: type[E], name: str, code: str, errors: list[FieldError]
) -> E | None:
    if isinstance(value, str) and value in {member.value for member in kind}:
        return kind(value)
    names = ", ".join(member.value for member in kind)
    errors.append(FieldError(name, f"{name} must be one of {names}.", code))
    return None


def _field_problem(kind: StreamKind, name: str, value: object, *, local: bool) -> str | None:
    if name == "port":
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536
        return None if ok else "port must be a number from 1 to 65535."
    if not isinstance(value, str) or not value or len(value) > MAX_FIELD or has_control(value):
        return f"{name} is required, as text."
    if name == "url":
        return _url_problem(kind, value, local=local)
    shapes = {
        "topic": (_TOPIC, "projects/PROJECT/topics/TOPIC"),
        "bucket": (_BUCKET, "a bucket's name"),
        "host": (_HOST, "a host name or address"),
    }
    pattern, shape = shapes.get(name, (None, ""))
    if pattern is not None and not pattern.fullmatch(value):
        return f"{name} must be {shape}."
    return None


def _url_problem(kind: StreamKind, url: str, *, local: bool) -> str | None:
    """A webhook's rules: https to a public host (but in the local profile)."""
    try:
        check_url(url, local=local)
    except InvalidInput as error:
        return error.detail
    if kind is StreamKind.SPLUNK_HEC and "?" in url:
        return "A Splunk HEC URL has no query."
    return None


def shown_target(stream: LogStream) -> dict[str, str | int]:
    """The stream's settings as its owners read them: never its secret."""
    return dict(stream.target)
