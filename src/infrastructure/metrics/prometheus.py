"""The ``Metrics`` port as Prometheus counters, gauges and histograms (prometheus_client).

Under gunicorn each worker writes its values to files in PROMETHEUS_MULTIPROC_DIR, which
gunicorn.conf.py makes for the instance before the workers start, and ``exposition`` sums
them: /metrics answers for the whole instance whichever worker serves it. Without that
directory (the tests' apps, ``flask run``) the values are this process's
(docs/decisions/0304-metrics.md)."""

from __future__ import annotations

import os

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

# The classic text format that generate_latest writes, which every Prometheus reads.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

# Seconds: a request or a hashing thread's wait (milliseconds to seconds), a webhook's delay
# (its first attempt within a second, its retries over a day).
_REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_WAIT_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_DELAY_BUCKETS = (0.1, 0.5, 1.0, 5.0, 30.0, 60.0, 300.0, 1800.0, 3600.0, 21600.0, 86400.0)


class PrometheusMetrics:
    def __init__(self) -> None:
        self._multiprocess = bool(os.environ.get(MULTIPROCESS_DIR))
        # No *_created series: the multiprocess text has none either.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self._registry = registry = CollectorRegistry()
        self._signins = Counter(
            "firegate_signins",
            "Sign-ins by method and outcome.",
            ["method", "outcome"],
            registry=registry,
        )
        self._tokens = Counter(
            "firegate_tokens_issued",
            "Tokens the OAuth provider issued, by grant type.",
            ["grant"],
            registry=registry,
        )
        self._refusals = Counter(
            "firegate_throttle_refusals",
            "Requests a throttle refused: login (failed logins) or requests (rate limits).",
            ["scope"],
            registry=registry,
        )
        self._reuse = Counter(
            "firegate_refresh_reuse",
            "Rotated refresh tokens presented again (their session revoked).",
            registry=registry,
        )
        self._mails = Counter(
            "firegate_mails",
            "Mail jobs by kind and outcome (sent, failed, refused).",
            ["kind", "outcome"],
            registry=registry,
        )
        self._attempts = Counter(
            "firegate_webhook_attempts",
            "Webhook delivery attempts by outcome.",
            ["outcome"],
            registry=registry,
        )
        self._delay = Histogram(
            "firegate_webhook_delay_seconds",
            "Time from a security event to each attempt to deliver it.",
            buckets=_DELAY_BUCKETS,
            registry=registry,
        )
        self._waiting = Gauge(
            "firegate_jobs_waiting",
            "Jobs queued in the instance's processes (JOB_QUEUE=inprocess).",
            ["queue"],
            multiprocess_mode="livesum",
            registry=registry,
        )
        self._oldest = Gauge(
            "firegate_jobs_oldest_due_timestamp_seconds",
            "When the longest-waiting queued job was due (+Inf: none waits).",
            ["queue"],
            multiprocess_mode="livemin",
            registry=registry,
        )
        self._argon2 = Histogram(
            "firegate_argon2_queue_wait_seconds",
            "Time a password hash or check waited for a hashing thread.",
            buckets=_WAIT_BUCKETS,
            registry=registry,
        )
        self._imported = Counter(
            "firegate_imported_hash_failures",
            "Passwords that did not match an imported hash of another system, by its kind.",
            ["kind"],
            registry=registry,
        )
        self._series: dict[tuple[str, str, int], Histogram] = {}
        self._requests = Histogram(
            "firegate_http_request_duration_seconds",
            "HTTP requests by route (its rule, not the path), method and status.",
            ["route", "method", "status"],
            buckets=_REQUEST_BUCKETS,
            registry=registry,
        )

    def signin(self, method: str, outcome: str) -> None:
        self._signins.labels(method, outcome).inc()

    def token_issued(self, grant: str) -> None:
        self._tokens.labels(grant).inc()

    def throttle_refused(self, scope: str) -> None:
        self._refusals.labels(scope).inc()

    def refresh_reused(self) -> None:
        self._reuse.inc()

    def mail(self, kind: str, outcome: str) -> None:
        self._mails.labels(kind, outcome).inc()

    def webhook_attempt(self, outcome: str, delay: float) -> None:
        self._attempts.labels(outcome).inc()
        self._delay.observe(max(delay, 0.0))

    def jobs_waiting(self, queue: str, waiting: int, oldest_due: float) -> None:
        self._waiting.labels(queue).set(waiting)
        self._oldest.labels(queue).set(oldest_due)

    def argon2_waited(self, seconds: float) -> None:
        self._argon2.observe(seconds)

    def imported_hash_failed(self, kind: str) -> None:
        self._imported.labels(kind).inc()

    def request(self, route: str, method: str, status: int, seconds: float) -> None:
        # Each request's series, looked up once: ``labels`` validates and locks on every call
        # (a third of this method's time). The keys are few: routes x methods x statuses.
        key = (route, method, status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = self._requests.labels(route, method, str(status))
        series.observe(seconds)

    def exposition(self) -> bytes:
        """The text format: of every process of the instance under gunicorn, else of this
        one."""
        if not self._multiprocess:
            return generate_latest(self._registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
