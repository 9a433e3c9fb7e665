"""Webhooks: the retry schedule, the endpoints and their deliveries (docs/reference/webhooks.md,
docs/decisions/0175-webhooks-outbox.md). A delivery is signed per Standard Webhooks
(domain/standard_webhooks.py) and sent only to a URL the kernel's rule allows
(domain/public_urls.py)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

MAX_DESCRIPTION_LENGTH = 200
MAX_EVENTS = 50
MAX_ATTEMPTS_KEPT = 50  # the latest; a delivery resent many times keeps these

# Delays before each retry, as multiples of the first one (5 s by default): 5 s, 30 s, 2 min,
# 10 min, 30 min, 1 h, 2 h, then every 4 h, until the window (24 h) after the first attempt.
RETRY_STEPS: tuple[int, ...] = (1, 6, 24, 120, 360, 720, 1440)
LAST_STEP = 2880


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
