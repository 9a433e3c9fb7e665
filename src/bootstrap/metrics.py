"""Metrics as the settings make them (docs/operations.md, "Metrics"): Prometheus when
METRICS_TOKEN is set, OTLP when an OTLP endpoint is, both, or none; each library imported
only then (docs/decisions/0304-metrics.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from application.ports import NO_METRICS, Clock, Metrics
from domain.slots import Slot
from infrastructure.settings import Settings
from interfaces.shared.metrics import MetricsConfig

if TYPE_CHECKING:
    from application.services import Services
    from infrastructure.metrics.adapter import Adapter

type Gauge = Callable[[Services, Metrics, Clock], Callable[[], None]]
# A unit's gauges counted now and then rather than on each change (the migration's legacy
# accounts): each made from the bound services, run once a response is sent, its own clock
# saying when it is due. A unit fills it (``fills=(GAUGES(legacy_gauge),)``); the composition
# root makes every running unit's.
GAUGES = Slot[Gauge]("gauges counted after a response")


def measuring(settings: Settings) -> MetricsConfig | None:
    """This process's metrics and /metrics; None when they are off."""
    targets: list[Adapter] = []
    config = MetricsConfig(metrics=NO_METRICS)
    if settings.telemetry.metrics_token is not None:
        from infrastructure.metrics.prometheus import CONTENT_TYPE, PrometheusMetrics  # noqa: PLC0415

        prometheus = PrometheusMetrics()
        targets.append(prometheus)
        config = MetricsConfig(
            metrics=prometheus,
            exposition=prometheus.exposition,
            content_type=CONTENT_TYPE,
            token=settings.telemetry.metrics_token.get_secret_value(),
        )
    endpoint = settings.telemetry.metrics_otlp_endpoint
    if endpoint is not None:
        from infrastructure.metrics.otlp import OtlpMetrics  # noqa: PLC0415

        targets.append(OtlpMetrics(endpoint))
    if not targets:
        return None
    if len(targets) == 1:
        return replace(config, metrics=targets[0])
    from infrastructure.metrics.fanout import FanOut  # noqa: PLC0415

    return replace(config, metrics=FanOut(targets))


def refreshing(refreshes: Sequence[Callable[[], None]]) -> Callable[[], None] | None:
    """One refresh running each of ``refreshes`` (the units' gauges), None for none."""
    if not refreshes:
        return None
    if len(refreshes) == 1:
        return refreshes[0]
    every = tuple(refreshes)

    def refresh() -> None:
        for each in every:
            each()

    return refresh
