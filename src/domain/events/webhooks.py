"""Webhooks: the Standard Webhooks signature, the retry schedule, the URL rule
(docs/reference/webhooks.md, docs/decisions/0175-webhooks-outbox.md)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from domain.errors import InvalidInput
from domain.ids import new_id
from domain.text import has_control

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # the specification asks for 24 to 64
MESSAGE_PREFIX = "msg_"
MAX_URL_LENGTH = 2048
MAX_DESCRIPTION_LENGTH = 200
MAX_EVENTS = 50
MAX_ATTEMPTS_KEPT = 50  # the latest; a delivery resent many times keeps these

# Delays before each retry, as multiples of the first one (5 s by default): 5 s, 30 s, 2 min,
# 10 min, 30 min, 1 h, 2 h, then every 4 h, until the window (24 h) after the first attempt.
RETRY_STEPS: tuple[int, ...] = (1, 6, 24, 120, 360, 720, 1440)
LAST_STEP = 2880


def new_secret() -> str:
    """``whsec_`` and base64 of 32 random bytes: what a receiver is given once."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_message_id() -> str:
    return MESSAGE_PREFIX + new_id()


def signature(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` header: ``v1,`` and base64 of HMAC-SHA256 of
    ``id.timestamp.body`` keyed with the secret's bytes (after ``whsec_``)."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.{body}".encode()
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signed_headers(secret: str, message_id: str, at: datetime, body: str) -> dict[str, str]:
    timestamp = int(at.timestamp())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


@dataclass(frozen=True)
class RetryPolicy:
    """``first``: the delay before the first retry; ``window``: how long after the first
    attempt a delivery is retried before it is dead-lettered."""

    first: timedelta = timedelta(seconds=5)
    window: timedelta = timedelta(hours=24)

    def delay(self, failures: int) -> timedelta:
        """The wait after the ``failures``-th failed attempt (1 for the first)."""
        steps = RETRY_STEPS[failures - 1] if failures <= len(RETRY_STEPS) else LAST_STEP
        return self.first * steps

    def next_attempt(self, since: datetime, failures: int, now: datetime) -> datetime | None:
        """When to try again after ``failures`` failed attempts, the first at ``since``;
        None once that is past the window: dead-lettered."""
        due = now + self.delay(failures)
        return due if due <= since + self.window else None


# -- the URL rule ------------------------------------------------------------------------------


# IPv6 forms that carry an IPv4 address a gateway or the host itself turns back into IPv4:
# the address checked is the IPv4 one (docs/security.md, "Webhooks").
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052's well-known prefix
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215: a network's own NAT64
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # ::a.b.c.d, deprecated but still routed
# 6to4 (RFC 7526 deprecated it; IANA's registry calls it not globally reachable, as Python
# 3.13's ipaddress does): refused whatever IPv4 address it carries
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d
        return address.ipv4_mapped
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):  # not :: or ::1
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def public_address(text: str) -> bool:
    """An address a receiver on the internet may have: not private, loopback, link-local
    (cloud metadata), multicast, reserved or unspecified; nor an IPv6 address that embeds
    such an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64); nor a 6to4 one."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address in _LOCAL_NAT64 or address in _SIX_TO_FOUR:
            return False  # a network's own NAT64 prefix places its IPv4 part as it likes
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            if not (address.is_global or address.ipv4_mapped is not None):
                return False
            address = embedded
    return address.is_global and not address.is_multicast


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, local: bool) -> str:
    """A URL deliveries may go to: https to a host that is not a private or loopback address
    (names are resolved again at delivery time); in the local profile, http and loopback too."""
    problem = _url_problem(url, local=local)
    if problem is not None:
        raise InvalidInput.field("url", problem, "invalid_webhook_url")
    return url


def _url_problem(url: str, *, local: bool) -> str | None:
    unusable = "This is not a usable URL."
    if len(url) > MAX_URL_LENGTH or has_control(url) or url != url.strip():
        return unusable
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
        unreachable = parts.port == 0 or (bool(host) and not _host_syntax(host))
    except ValueError:
        return unusable
    if parts.scheme not in ("https", "http") or not host or parts.username or parts.password:
        return "The URL must be http(s)://host/path, without a user or password."
    if local or unreachable:
        return unusable if unreachable else None
    if parts.scheme != "https":
        return "The URL must start with https://."
    return None if _public_host(host) else "The URL must name a public host."


_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")


def _host_syntax(host: str) -> bool:
    """An IP address, or a name of labels a resolver can ask for (an international name in
    its IDNA form): a space or a symbol in the host could never be delivered to."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        name = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return len(name) <= 253 and all(_LABEL.fullmatch(label) for label in name.split("."))


def _public_host(host: str) -> bool:
    """Not loopback, and an address only if public: a name is checked when it is resolved,
    at delivery."""
    if _loopback(host):
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True
    return public_address(host)


# -- endpoints and deliveries ------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookEndpoint:
    id: str
    url: str
    events: tuple[str, ...]
    description: str
    sealed_secret: str  # the secret sealed by the SecretBox (docs/security.md)
    created_at: datetime
    enabled: bool = True
    failing_since: datetime | None = None

    def wants(self, event_type: str) -> bool:
        return self.enabled and event_type in self.events


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # an attempt is due at next_attempt_at
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # stopped: its endpoint was disabled or deleted
    DEAD = "dead"  # retried for the whole window, in vain


@dataclass(frozen=True)
class Attempt:
    at: datetime
    status_code: int | None  # None: no answer (refused, timed out, not a public address)
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class Delivery:
    """One event for one endpoint; ``id`` is the ``webhook-id`` of every attempt."""

    id: str
    endpoint_id: str
    event_type: str
    event_id: str
    payload: str  # the JSON body, as sent
    created_at: datetime
    next_attempt_at: datetime
    retry_since: datetime  # the retry window starts here: creation, or the last resend
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: tuple[Attempt, ...] = field(default=())

    def due(self, now: datetime) -> bool:
        return self.status is DeliveryStatus.PENDING and self.next_attempt_at <= now

    def reserved(self, now: datetime) -> bool:
        """Never attempted and still reserved for the job queued when it was written: that
        job sends it without claiming it first (docs/decisions/0175-webhooks-outbox.md)."""
        return (
            self.status is DeliveryStatus.PENDING
            and not self.attempts
            and self.retry_since == self.created_at
            and now < self.next_attempt_at
        )

    def failures_since_retry(self) -> int:
        return sum(1 for a in self.attempts if a.at >= self.retry_since and not a.succeeded)

    def after(self, attempt: Attempt, policy: RetryPolicy) -> Delivery:
        """This delivery with ``attempt`` recorded: succeeded, retried later, or dead."""
        done = replace(self, attempts=(*self.attempts, attempt)[-MAX_ATTEMPTS_KEPT:])
        if attempt.succeeded:
            return replace(done, status=DeliveryStatus.SUCCEEDED)
        due = policy.next_attempt(self.retry_since, done.failures_since_retry(), attempt.at)
        if due is None:
            return replace(done, status=DeliveryStatus.DEAD)
        return replace(done, next_attempt_at=due)

    def resent(self, now: datetime) -> Delivery:
        """Sent again now, with a new retry window."""
        return replace(self, status=DeliveryStatus.PENDING, next_attempt_at=now, retry_since=now)

    def stopped(self, now: datetime, reason: str) -> Delivery:
        return replace(
            self,
            status=DeliveryStatus.FAILED,
            attempts=(*self.attempts, Attempt(now, None, reason))[-MAX_ATTEMPTS_KEPT:],
        )
