"""Both Prometheus and OTLP on: each count goes to every one of them, its labels handed on as
the one mapping the call made."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from application.metrics import Counter, Gauge, Histogram
from infrastructure.metrics.adapter import Adapter


class FanOut(Adapter):
    def __init__(self, targets: Sequence[Adapter]) -> None:
        self._targets = tuple(targets)

    def count(self, metric: Counter[...], labels: Mapping[str, object]) -> None:
        for target in self._targets:
            target.count(metric, labels)

    def record(self, metric: Histogram[...], value: float, labels: Mapping[str, object]) -> None:
        for target in self._targets:
            target.record(metric, value, labels)

    def store(self, metric: Gauge[...], value: float, labels: Mapping[str, object]) -> None:
        for target in self._targets:
            target.store(metric, value, labels)
