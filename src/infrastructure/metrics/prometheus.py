"""The ``Metrics`` port as Prometheus counters, gauges and histograms (prometheus_client).

Under gunicorn each worker writes its values to files in PROMETHEUS_MULTIPROC_DIR, which
gunicorn.conf.py makes for the instance before the workers start, and ``exposition`` sums
them: /metrics answers for the whole instance whichever worker serves it. Without that
directory (the tests' apps, ``flask run``) the values are this process's
(docs/decisions/0304-metrics.md)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Literal, TypeVar

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from application import metrics as catalogue
from application.metrics import CATALOGUE, Metric
from infrastructure.metrics.adapter import Adapter, Key

# The classic text format that generate_latest writes, which every Prometheus reads.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

Family = TypeVar("Family", Counter, Gauge, Histogram)


class PrometheusMetrics(Adapter):
    def __init__(self, metrics: Iterable[Metric[...]] = CATALOGUE) -> None:
        self._multiprocess = bool(os.environ.get(MULTIPROCESS_DIR))
        # No *_created series: the multiprocess text has none either.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self._registry = registry = CollectorRegistry()
        self._counters: dict[Metric[...], Counter] = {}
        self._histograms: dict[Metric[...], Histogram] = {}
        self._gauges: dict[Metric[...], Gauge] = {}
        for metric in metrics:
            named = (metric.name, metric.help, metric.label_names)
            if isinstance(metric, catalogue.Counter):
                self._counters[metric] = Counter(*named, registry=registry)
            elif isinstance(metric, catalogue.Histogram):
                self._histograms[metric] = Histogram(
                    *named, buckets=metric.buckets, registry=registry
                )
            elif isinstance(metric, catalogue.Gauge):
                # The live workers' values, a dead one's out (gunicorn.conf.py's child_exit).
                mode: Literal["livesum", "livemin"] = (
                    "livesum" if metric.combine == "sum" else "livemin"
                )
                self._gauges[metric] = Gauge(*named, multiprocess_mode=mode, registry=registry)
        # Each series looked up once: ``labels`` validates and locks on every call (a third
        # of a request's count). The keys are few: a metric's label values are.
        self._counted: dict[Key, Counter] = {}
        self._observed: dict[Key, Histogram] = {}
        self._set: dict[Key, Gauge] = {}

    def count(self, metric: catalogue.Counter[...], labels: Mapping[str, object]) -> None:
        key = (metric, *labels.values())
        series = self._counted.get(key)
        if series is None:
            series = self._counted[key] = _series(self._counters, metric, labels)
        series.inc()

    def record(
        self, metric: catalogue.Histogram[...], value: float, labels: Mapping[str, object]
    ) -> None:
        key = (metric, *labels.values())
        series = self._observed.get(key)
        if series is None:
            series = self._observed[key] = _series(self._histograms, metric, labels)
        series.observe(value)

    def store(
        self, metric: catalogue.Gauge[...], value: float, labels: Mapping[str, object]
    ) -> None:
        key = (metric, *labels.values())
        series = self._set.get(key)
        if series is None:
            series = self._set[key] = _series(self._gauges, metric, labels)
        series.set(value)

    def exposition(self) -> bytes:
        """The text format: of every process of the instance under gunicorn, else of this
        one."""
        if not self._multiprocess:
            return generate_latest(self._registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)


def _series[Family: (Counter, Gauge, Histogram)](
    families: Mapping[Metric[...], Family], metric: Metric[...], labels: Mapping[str, object]
) -> Family:
    """The series of ``metric`` with these labels (ValueError: not the metric's labels, or a
    metric not registered)."""
    values = metric.values(labels)
    family = families.get(metric)
    if family is None:
        raise ValueError(f"{metric.name} is not a metric of this registry")
    return family.labels(*values) if values else family
