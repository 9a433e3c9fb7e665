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
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.metrics import Counter as SdkCounter
from opentelemetry.metrics import Histogram as SdkHistogram
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

from application import metrics as catalogue
from application.metrics import CATALOGUE
from infrastructure.metrics.adapter import Adapter, Key

Values = tuple[str, ...]  # a series' label values in the declared order
Attributes = dict[str, str]


class Histograms:
    """The histograms' buckets, kept here for the OTLP exporter instead of in the SDK's
    instruments, which check and hash a measurement's attributes on every record: about 6 µs
    of each request in one process, where a lookup and a few additions under a lock cost about
    1 µs (docs/decisions/0304-metrics.md). Cumulative since the worker began."""

    def __init__(self, metrics: Iterable[catalogue.Histogram[...]]) -> None:
        self.started = time.time_ns()
        self._lock = threading.Lock()
        self._bounds = {metric.name: metric.buckets for metric in metrics}
        # Per series: count, sum, min, max, then one count per bucket (the last: above all),
        # by its attributes under its metric's name, and by the key of each call that named it.
        self._series: dict[str, dict[Values, tuple[Attributes, list[float]]]] = {
            name: {} for name in self._bounds
        }
        self._keys: dict[Key, list[float]] = {}

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self._bounds)

    def record(
        self, metric: catalogue.Histogram[...], value: float, labels: Mapping[str, object]
    ) -> Attributes | None:
        """Counts one ``value``; its series' attributes the first time a call names them so
        (ValueError: not the metric's labels, or not a metric here)."""
        key = (metric, *labels.values())
        bucket = 4 + bisect_left(metric.buckets, value)  # a bucket holds values <= its bound
        with self._lock:
            values = self._keys.get(key)
            first = None
            if values is None:
                first, values = self._new(metric, labels)
                self._keys[key] = values
            values[0] += 1
            values[1] += value
            values[2] = min(values[2], value)
            values[3] = max(values[3], value)
            values[bucket] += 1
        return first

    def _new(
        self, metric: catalogue.Histogram[...], labels: Mapping[str, object]
    ) -> tuple[Attributes, list[float]]:
        series = self._series.get(metric.name)
        if series is None:
            raise ValueError(f"{metric.name} is not a histogram here")
        values = metric.values(labels)
        if values not in series:
            empty = [0, 0.0, math.inf, -math.inf, *([0] * (len(metric.buckets) + 1))]
            series[values] = (dict(zip(metric.label_names, values, strict=True)), empty)
        return series[values]

    def points(self, name: str) -> list[HistogramDataPoint]:
        """A cumulative data point per series of the histogram ``name``, as of now."""
        now = time.time_ns()
        with self._lock:
            rows = [
                (attributes, list(values)) for attributes, values in self._series[name].values()
            ]
        return [
            HistogramDataPoint(
                attributes=attributes,
                start_time_unix_nano=self.started,
                time_unix_nano=now,
                count=int(values[0]),
                sum=values[1],
                bucket_counts=[int(n) for n in values[4:]],
                explicit_bounds=self._bounds[name],
                min=values[2],
                max=values[3],
            )
            for attributes, values in rows
        ]


class _Exporter(OTLPMetricExporter):
    """OpenTelemetry's OTLP exporter, each export carrying ``Histograms``' data points in
    place of those of the SDK's instruments of the same names, which only ever record a
    series' first value (so that the metric, and an export, exist once a value has)."""

    def __init__(self, endpoint: str, histograms: Histograms) -> None:
        super().__init__(endpoint=endpoint)
        self._histograms = histograms

    def export(
        self, metrics_data: MetricsData, timeout_millis: float | None = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        return super().export(self._ours(metrics_data), timeout_millis, **kwargs)

    def _ours(self, data: MetricsData) -> MetricsData:
        ours = self._histograms.names

        def swapped(metric: Metric) -> Metric:
            if metric.name not in ours:
                return metric
            histogram = Histogram(
                data_points=self._histograms.points(metric.name),
                aggregation_temporality=AggregationTemporality.CUMULATIVE,
            )
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


class OtlpMetrics(Adapter):
    def __init__(
        self,
        endpoint: str,
        *,
        interval_ms: int | None = None,
        metrics: Iterable[catalogue.Metric[...]] = CATALOGUE,
    ) -> None:
        # OTEL_METRIC_EXPORT_INTERVAL (the SDK's own variable) or a minute.
        interval = interval_ms or int(os.environ.get("OTEL_METRIC_EXPORT_INTERVAL", "60000"))
        # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES still win, as the SDK reads them.
        self.instance = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        resource = Resource.create(
            {"service.name": "firegate", "service.instance.id": self.instance}
        )
        metrics = tuple(metrics)
        self._histograms = Histograms(m for m in metrics if isinstance(m, catalogue.Histogram))
        reader = PeriodicExportingMetricReader(
            _Exporter(endpoint, self._histograms), export_interval_millis=interval
        )
        self.provider = MeterProvider(resource=resource, metric_readers=[reader])
        meter = self.provider.get_meter("firegate")
        self._counters: dict[catalogue.Metric[...], SdkCounter] = {}
        self._sdk_histograms: dict[catalogue.Metric[...], SdkHistogram] = {}
        # The gauges' last values, read when the reader collects (an age is then exact).
        self._lock = threading.Lock()
        self._gauges: dict[
            catalogue.Metric[...], dict[tuple[str, ...], tuple[Attributes, float]]
        ] = {}
        for metric in metrics:
            described = {"unit": metric.unit, "description": metric.help}
            if isinstance(metric, catalogue.Counter):
                self._counters[metric] = meter.create_counter(metric.name, **described)
            elif isinstance(metric, catalogue.Histogram):
                self._sdk_histograms[metric] = meter.create_histogram(
                    metric.name,
                    **described,
                    explicit_bucket_boundaries_advisory=metric.buckets,
                )
            elif isinstance(metric, catalogue.Gauge):
                self._gauges[metric] = {}
                if metric.age_as:
                    described = {"unit": metric.unit, "description": ""}
                meter.create_observable_gauge(
                    metric.age_as or metric.name,
                    callbacks=[partial(self._observed, metric)],
                    **described,
                )
        # The attributes of each call's key, checked against the metric's labels once.
        self._attributes: dict[Key, tuple[Values, Attributes]] = {}

    def count(self, metric: catalogue.Counter[...], labels: Mapping[str, object]) -> None:
        _, attributes = self._attributes_of(self._counters, metric, labels)
        self._counters[metric].add(1, attributes)

    def record(
        self, metric: catalogue.Histogram[...], value: float, labels: Mapping[str, object]
    ) -> None:
        first = self._histograms.record(metric, value, labels)
        if first is not None:  # the series is new
            self._sdk_histograms[metric].record(value, first)

    def store(
        self, metric: catalogue.Gauge[...], value: float, labels: Mapping[str, object]
    ) -> None:
        values, attributes = self._attributes_of(self._gauges, metric, labels)
        with self._lock:
            self._gauges[metric][values] = (attributes, value)

    def _attributes_of(
        self,
        registered: Mapping[catalogue.Metric[...], object],
        metric: catalogue.Metric[...],
        labels: Mapping[str, object],
    ) -> tuple[Values, Attributes]:
        key = (metric, *labels.values())
        found = self._attributes.get(key)
        if found is None:
            if metric not in registered:
                raise ValueError(f"{metric.name} is not a metric here")
            values = metric.values(labels)
            found = self._attributes[key] = (
                values,
                dict(zip(metric.label_names, values, strict=True)),
            )
        return found

    def _observed(
        self, metric: catalogue.Gauge[...], options: CallbackOptions
    ) -> Iterable[Observation]:
        with self._lock:
            values = list(self._gauges[metric].values())
        if not metric.age_as:
            return [Observation(value, attributes) for attributes, value in values]
        now = time.time()
        return [
            Observation(0.0 if math.isinf(due) else max(now - due, 0.0), attributes)
            for attributes, due in values
        ]
