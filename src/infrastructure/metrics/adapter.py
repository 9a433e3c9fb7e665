"""What every metrics adapter shares: the ``Metrics`` port's three calls, each handed on with
its labels as one mapping, so that an adapter is written once for every metric of the
catalogue (docs/decisions/0362-a-catalogue-of-metrics.md)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping

from application.metrics import Counter, Gauge, Histogram, Labels

Key = tuple[object, ...]  # a metric, then its label values in the order of the call's keywords


class Adapter(ABC):
    """The port's calls, for ``count``, ``record`` and ``store`` to do; a label set other
    than the metric's is a ValueError there, at its series' first use."""

    def add(self, metric: Counter[Labels], /, *args: Labels.args, **labels: Labels.kwargs) -> None:
        self.count(metric, labels)

    def observe(
        self,
        metric: Histogram[Labels],
        value: float,
        /,
        *args: Labels.args,
        **labels: Labels.kwargs,
    ) -> None:
        self.record(metric, value, labels)

    def set(
        self, metric: Gauge[Labels], value: float, /, *args: Labels.args, **labels: Labels.kwargs
    ) -> None:
        self.store(metric, value, labels)

    @abstractmethod
    def count(self, metric: Counter[...], labels: Mapping[str, object]) -> None:
        """One more of ``metric``."""

    @abstractmethod
    def record(self, metric: Histogram[...], value: float, labels: Mapping[str, object]) -> None:
        """One ``value`` in ``metric``'s histogram."""

    @abstractmethod
    def store(self, metric: Gauge[...], value: float, labels: Mapping[str, object]) -> None:
        """``metric`` is ``value`` now in this process."""
