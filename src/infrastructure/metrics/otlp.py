"""The ``Metrics`` port as OpenTelemetry instruments, exported by OTLP over HTTP/protobuf.

Each gunicorn worker has its own MeterProvider (made after the fork, as the app is) and its
own ``service.instance.id``, so the collector tells the workers apart and sums their
counters; the names are the Prometheus ones without ``_total``, which a collector's
Prometheus exporter adds back (docs/decisions/0304-metrics.md)."""

from __future__ import annotations

import math
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterable

from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

_REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]
_WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]
_DELAY_BUCKETS = [0.1, 0.5, 1.0, 5.0, 30.0, 60.0, 300.0, 1800.0, 3600.0, 21600.0, 86400.0]


class OtlpMetrics:
    def __init__(self, endpoint: str, *, interval_ms: int | None = None) -> None:
        # OTEL_METRIC_EXPORT_INTERVAL (the SDK's own variable) or a minute.
        interval = interval_ms or int(os.environ.get("OTEL_METRIC_EXPORT_INTERVAL", "60000"))
        # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES still win, as the SDK reads them.
        self.instance = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        resource = Resource.create(
            {"service.name": "firegate", "service.instance.id": self.instance}
        )
        reader = PeriodicExportingMetricReader(
            OTLPMetricExporter(endpoint=endpoint), export_interval_millis=interval
        )
        self.provider = MeterProvider(resource=resource, metric_readers=[reader])
        meter = self.provider.get_meter("firegate")
        self._signins = meter.create_counter("firegate_signins", description="Sign-ins.")
        self._tokens = meter.create_counter("firegate_tokens_issued")
        self._refusals = meter.create_counter("firegate_throttle_refusals")
        self._reuse = meter.create_counter("firegate_refresh_reuse")
        self._mails = meter.create_counter("firegate_mails")
        self._attempts = meter.create_counter("firegate_webhook_attempts")
        self._delay = meter.create_histogram(
            "firegate_webhook_delay_seconds",
            unit="s",
            explicit_bucket_boundaries_advisory=_DELAY_BUCKETS,
        )
        self._argon2 = meter.create_histogram(
            "firegate_argon2_queue_wait_seconds",
            unit="s",
            explicit_bucket_boundaries_advisory=_WAIT_BUCKETS,
        )
        self._requests = meter.create_histogram(
            "firegate_http_request_duration_seconds",
            unit="s",
            explicit_bucket_boundaries_advisory=_REQUEST_BUCKETS,
        )
        # The queues' last state, read when the reader collects: the age is then exact.
        self._lock = threading.Lock()
        self._queues: dict[str, tuple[int, float]] = {}
        meter.create_observable_gauge("firegate_jobs_waiting", callbacks=[self._waiting])
        meter.create_observable_gauge(
            "firegate_jobs_oldest_age_seconds", callbacks=[self._oldest_age], unit="s"
        )

    def _waiting(self, options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            queues = dict(self._queues)
        return [Observation(n, {"queue": queue}) for queue, (n, _) in queues.items()]

    def _oldest_age(self, options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            queues = dict(self._queues)
        now = time.time()
        return [
            Observation(0.0 if math.isinf(due) else max(now - due, 0.0), {"queue": queue})
            for queue, (_, due) in queues.items()
        ]

    def signin(self, method: str, outcome: str) -> None:
        self._signins.add(1, {"method": method, "outcome": outcome})

    def token_issued(self, grant: str) -> None:
        self._tokens.add(1, {"grant": grant})

    def throttle_refused(self, scope: str) -> None:
        self._refusals.add(1, {"scope": scope})

    def refresh_reused(self) -> None:
        self._reuse.add(1)

    def mail(self, kind: str, outcome: str) -> None:
        self._mails.add(1, {"kind": kind, "outcome": outcome})

    def webhook_attempt(self, outcome: str, delay: float) -> None:
        self._attempts.add(1, {"outcome": outcome})
        self._delay.record(max(delay, 0.0))

    def jobs_waiting(self, queue: str, waiting: int, oldest_due: float) -> None:
        with self._lock:
            self._queues[queue] = (waiting, oldest_due)

    def argon2_waited(self, seconds: float) -> None:
        self._argon2.record(seconds)

    def request(self, route: str, method: str, status: int, seconds: float) -> None:
        self._requests.record(seconds, {"route": route, "method": method, "status": str(status)})
