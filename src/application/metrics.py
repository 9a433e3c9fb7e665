"""The catalogue of firegate's metrics (docs/operations.md, "Metrics"): each is declared here
once, with its name, kind, labels, help and (a histogram) buckets, and the adapters in
infrastructure/metrics/ register and emit every one of them alike
(docs/decisions/0362-a-catalogue-of-metrics.md).

A metric's label names are the keyword-only parameters of its ``labels`` signature. The
``Metrics`` port (application/ports.py) is generic over that signature, so mypy checks each
call's labels against the declaration, and an adapter checks them again at a series' first
use (``ValueError``). A new metric: a declaration here, its call, its row in
docs/operations.md and a test (docs/contributing.md, "A new metric")."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import Literal, ParamSpec

# A metric's label signature, which the port's calls take as their keywords.
Labels = ParamSpec("Labels")


@dataclass(frozen=True, eq=False)  # eq=False: hashed by identity, as the adapters' keys
class Metric[**Labels]:
    name: str  # Prometheus's, without the _total it adds to a counter's; OTLP's
    help: str
    labels: Callable[Labels, object] = field(repr=False)  # e.g. ``lambda *, scope: None``
    _: KW_ONLY
    unit: str = ""  # OTLP's ("s"); a Prometheus name says its own
    label_names: tuple[str, ...] = field(init=False)
    _named: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        parameters = inspect.signature(self.labels).parameters.values()
        if any(p.kind is not p.KEYWORD_ONLY or p.default is not p.empty for p in parameters):
            raise TypeError(f"{self.name}: labels are keyword-only parameters, no defaults")
        object.__setattr__(self, "label_names", tuple(p.name for p in parameters))
        object.__setattr__(self, "_named", frozenset(self.label_names))

    def values(self, labels: Mapping[str, object]) -> tuple[str, ...]:
        """The label values as text, in the declared order; ValueError when ``labels`` names
        others than the declared ones."""
        self.check(labels)
        return tuple(str(labels[name]) for name in self.label_names)

    def check(self, labels: Mapping[str, object]) -> None:
        if labels.keys() != self._named:
            wanted = ", ".join(self.label_names) or "none"
            raise ValueError(f"{self.name} has labels {wanted}, not {', '.join(labels)}")


@dataclass(frozen=True, eq=False)
class Counter(Metric[Labels]):
    """Counts up by one at each ``Metrics.add``."""


@dataclass(frozen=True, eq=False)
class Histogram(Metric[Labels]):
    """Each ``Metrics.observe`` value in the first bucket whose bound is at least it."""

    _: KW_ONLY
    buckets: tuple[float, ...]


@dataclass(frozen=True, eq=False)
class Gauge(Metric[Labels]):
    """A process's last value (``Metrics.set``), ``combine``d across the instance's
    workers."""

    _: KW_ONLY
    combine: Literal["sum", "min"] = "sum"
    # A timestamp (seconds since the epoch; +inf for none): OTLP sends its age when the
    # reader collects, under this name (a collector has no time() to subtract it from).
    age_as: str = ""


# Seconds: a request or a hashing thread's wait (milliseconds to seconds), a webhook's delay
# (its first attempt within a second, its retries over a day).
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
WAIT_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
DELAY_BUCKETS = (0.1, 0.5, 1.0, 5.0, 30.0, 60.0, 300.0, 1800.0, 3600.0, 21600.0, 86400.0)

# Label values are few and fixed (a method, an outcome, a grant type, a route's rule), never
# a user's input.
SIGNINS = Counter(
    "firegate_signins",
    "Sign-ins by method and outcome.",
    lambda *, method, outcome: None,
)
TOKENS_ISSUED = Counter(
    "firegate_tokens_issued",
    "Tokens the OAuth provider issued, by grant type.",
    lambda *, grant: None,
)
THROTTLE_REFUSALS = Counter(
    "firegate_throttle_refusals",
    "Requests a throttle refused: login (failed logins) or requests (rate limits).",
    lambda *, scope: None,
)
CHALLENGE_VERIFICATIONS = Counter(
    "firegate_challenge_verifications",
    "Challenge tokens checked after a signal fired: passed, invalid, low_score, not_a_verdict"
    " (an answer that judged nothing), replayed, or a verifier that could not be reached"
    " (failed_open, failed_closed, fail_open_spent).",
    lambda *, outcome: None,
)
REFRESH_REUSE = Counter(
    "firegate_refresh_reuse",
    "Rotated refresh tokens presented again (their session revoked).",
    lambda: None,
)
MAILS = Counter(
    "firegate_mails",
    "Mail jobs by kind and outcome (sent, failed, refused).",
    lambda *, kind, outcome: None,
)
WEBHOOK_ATTEMPTS = Counter(
    "firegate_webhook_attempts",
    "Webhook delivery attempts by outcome.",
    lambda *, outcome: None,
)
WEBHOOK_DELAY = Histogram(
    "firegate_webhook_delay_seconds",
    "Time from a security event to each attempt to deliver it.",
    lambda: None,
    unit="s",
    buckets=DELAY_BUCKETS,
)
HOOK_CALLS = Counter(
    "firegate_hook_calls",
    "Auth hook calls by kind and outcome (ok, timeout, unreachable, status, bad_answer).",
    lambda *, kind, outcome: None,
)
HOOK_CALL_DURATION = Histogram(
    "firegate_hook_call_duration_seconds",
    "Time an auth hook call took, from its POST to its checked answer or failure.",
    lambda *, kind: None,
    unit="s",
    buckets=REQUEST_BUCKETS,
)
JOBS_WAITING = Gauge(
    "firegate_jobs_waiting",
    "Jobs queued in the instance's processes (JOB_QUEUE=inprocess).",
    lambda *, queue: None,
    combine="sum",
)
JOBS_OLDEST_DUE = Gauge(
    "firegate_jobs_oldest_due_timestamp_seconds",
    "When the longest-waiting queued job was due (+Inf: none waits).",
    lambda *, queue: None,
    unit="s",
    combine="min",
    age_as="firegate_jobs_oldest_age_seconds",
)
LEGACY_ACCOUNTS = Gauge(
    "firegate_legacy_accounts_remaining",
    "Accounts imported as legacy whose password the password_verification hook has yet to "
    "check (counted at most once a minute per process).",
    lambda: None,
    combine="min",
)
ARGON2_QUEUE_WAIT = Histogram(
    "firegate_argon2_queue_wait_seconds",
    "Time a password hash or check waited for a hashing thread.",
    lambda: None,
    unit="s",
    buckets=WAIT_BUCKETS,
)
IMPORTED_HASH_FAILURES = Counter(
    "firegate_imported_hash_failures",
    "Passwords that did not match an imported hash of another system, by its kind.",
    lambda *, kind: None,
)
BREACHED_PASSWORD_CHECKS = Counter(
    "firegate_breached_password_checks",
    "Checks of a password against breached ones: breached, clean, or let through unchecked "
    "(timeout, error).",
    lambda *, outcome: None,
)
SMS_SENT = Counter(
    "firegate_sms_sent",
    "Texts the SMS budget let through to be sent, by the number's country (unknown: a"
    " non-geographic number).",
    lambda *, country: None,
)
SMS_REFUSED = Counter(
    "firegate_sms_refused",
    "Texts the SMS budget refused: over_budget, kept_for_accounts (a number without an"
    " account past its share), forbidden (a range budgeted at 0), disabled (SMS_ENABLED=false).",
    lambda *, reason: None,
)
PASSKEY_UPGRADES = Counter(
    "firegate_passkey_upgrades",
    "Passkeys a browser made by itself after a sign-in by password or code (an automatic"
    " upgrade: conditional mediation).",
    lambda: None,
)
HTTP_REQUESTS = Histogram(
    "firegate_http_request_duration_seconds",
    "HTTP requests by route (its rule, not the path), method and status.",
    lambda *, route, method, status: None,
    unit="s",
    buckets=REQUEST_BUCKETS,
)

# Every metric declared above, in their order: what the adapters register.
CATALOGUE: tuple[Metric[...], ...] = tuple(
    value for value in tuple(globals().values()) if isinstance(value, Metric)
)
