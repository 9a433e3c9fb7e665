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
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from typing import Any

from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Histogram,
    HistogramDataPoint,
    Metric,
    MetricExportResult,
    MetricsData,
    PeriodicExportingMetricReader,
    ResourceMetrics,
    ScopeMetrics,
)
from opentelemetry.sdk.resources import Resource

REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]
_WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]
_DELAY_BUCKETS = [0.1, 0.5, 1.0, 5.0, 30.0, 60.0, 300.0, 1800.0, 3600.0, 21600.0, 86400.0]


REQUESTS = "firegate_http_request_duration_seconds"
Series = tuple[str, str, int]  # route, method, status


class Latencies:
    """The request histogram's buckets, kept here for the OTLP exporter instead of in the
    SDK's instrument, which checks and hashes a measurement's attributes on every record: about
    6 µs of each request in one process, where a lookup and a few additions under a lock cost
    about 1 µs (docs/decisions/0304-metrics.md). Cumulative since the worker began."""

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = tuple(bounds)
        self.started = time.time_ns()
        self._lock = threading.Lock()
        # Per series: count, sum, min, max, then one count per bucket (the last: above all).
        self._series: dict[Series, list[float]] = {}

    def record(self, series: Series, seconds: float) -> bool:
        """Counts one request; True when it is its series' first."""
        bucket = 4 + bisect_left(self.bounds, seconds)  # a bucket holds values <= its bound
        with self._lock:
            values = self._series.get(series)
            first = values is None
            if values is None:
                values = [0, 0.0, math.inf, -math.inf, *([0] * (len(self.bounds) + 1))]
                self._series[series] = values
            values[0] += 1
            values[1] += seconds
            values[2] = min(values[2], seconds)
            values[3] = max(values[3], seconds)
            values[bucket] += 1
        return first

    def points(self) -> list[HistogramDataPoint]:
        """A cumulative data point per series, as of now."""
        now = time.time_ns()
        with self._lock:
            rows = [(series, list(values)) for series, values in self._series.items()]
        return [
            HistogramDataPoint(
                attributes={"route": route, "method": method, "status": str(status)},
                start_time_unix_nano=self.started,
                time_unix_nano=now,
                count=int(values[0]),
                sum=values[1],
                bucket_counts=[int(n) for n in values[4:]],
                explicit_bounds=self.bounds,
                min=values[2],
                max=values[3],
            )
            for (route, method, status), values in rows
        ]


class _Exporter(OTLPMetricExporter):
    """OpenTelemetry's OTLP exporter, each export carrying ``Latencies``' data points in
    place of those of the SDK's instrument of the same name, which only ever records a
    series' first request (so that the metric, and an export, exist once a request has)."""

    def __init__(self, endpoint: str, latencies: Latencies) -> None:
        super().__init__(endpoint=endpoint)
        self._latencies = latencies

    def export(
        self, metrics_data: MetricsData, timeout_millis: float | None = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        return super().export(self._ours(metrics_data), timeout_millis, **kwargs)

    def _ours(self, data: MetricsData) -> MetricsData:
        points = self._latencies.points()
        histogram = Histogram(
            data_points=points, aggregation_temporality=AggregationTemporality.CUMULATIVE
        )

        def swapped(metric: Metric) -> Metric:
            if metric.name != REQUESTS:
                return metric
            return Metric(metric.name, metric.description, metric.unit, histogram)

        return MetricsData(
            resource_metrics=[
                ResourceMetrics(
                    resource.resource,
                    [
                        ScopeMetrics(
                            scope.scope, [swapped(m) for m in scope.metrics], scope.schema_url
                        )
                        for scope in resource.scope_metrics
                    ],
                    resource.schema_url,
                )
                for resource in data.resource_metrics
            ]
        )


class OtlpMetrics:
    def __init__(self, endpoint: str, *, interval_ms: int | None = None) -> None:
        # OTEL_METRIC_EXPORT_INTERVAL (the SDK's own variable) or a minute.
        interval = interval_ms or int(os.environ.get("OTEL_METRIC_EXPORT_INTERVAL", "60000"))
        # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES still win, as the SDK reads them.
        self.instance = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        resource = Resource.create(
            {"service.name": "firegate", "service.instance.id": self.instance}
        )
        self._latencies = Latencies(REQUEST_BUCKETS)
        reader = PeriodicExportingMetricReader(
            _Exporter(endpoint, self._latencies), export_interval_millis=interval
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
        self._imported = meter.create_counter("firegate_imported_hash_failures")
        self._requests = meter.create_histogram(
            REQUESTS,
            unit="s",
            explicit_bucket_boundaries_advisory=REQUEST_BUCKETS,
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

    def imported_hash_failed(self, kind: str) -> None:
        self._imported.add(1, {"kind": kind})

    def request(self, route: str, method: str, status: int, seconds: float) -> None:
        if self._latencies.record((route, method, status), seconds):  # the series is new
            attributes = {"route": route, "method": method, "status": str(status)}
            self._requests.record(seconds, attributes)
