"""The catalogue of metrics (application/metrics.py, docs/operations.md "Metrics"): each
metric declared once and well, docs/operations.md's table the same as it, and every adapter
registering any declared metric alike and refusing a call with labels other than its
metric's (docs/decisions/0362-a-catalogue-of-metrics.md)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from functools import partial

import pytest

from application import metrics as catalogue
from application.metrics import CATALOGUE, HTTP_REQUESTS, REFRESH_REUSE, SIGNINS, Counter
from application.ports import NO_METRICS, Metrics
from infrastructure.metrics.fanout import FanOut
from infrastructure.metrics.otlp import OtlpMetrics
from infrastructure.metrics.prometheus import PrometheusMetrics
from tests.support.metrics import metrics_table, samples

pytestmark = pytest.mark.unit

NAME = re.compile(r"^firegate_[a-z0-9_]+$")
LABEL = re.compile(r"^[a-z_][a-z0-9_]*$")  # Prometheus's label names, without __ reserved


def exposed(metric: catalogue.Metric[...]) -> str:
    """Its name in the Prometheus text (prometheus_client adds _total to a counter's)."""
    return metric.name + ("_total" if isinstance(metric, Counter) else "")


def test_each_metric_is_declared_once_with_a_name_help_and_labels_prometheus_takes() -> None:
    declared = [v for v in vars(catalogue).values() if isinstance(v, catalogue.Metric)]
    assert list(CATALOGUE) == declared and len(CATALOGUE) >= 12
    names = [exposed(m) for m in CATALOGUE] + [
        m.age_as for m in CATALOGUE if isinstance(m, catalogue.Gauge) and m.age_as
    ]
    assert len(set(names)) == len(names)
    for metric in CATALOGUE:
        assert NAME.match(metric.name) and not metric.name.endswith("_total"), metric
        assert metric.help.endswith(".") and metric.help[0].isupper(), metric
        assert all(LABEL.match(label) for label in metric.label_names), metric
        assert "le" not in metric.label_names and "quantile" not in metric.label_names
        if isinstance(metric, catalogue.Histogram):
            assert list(metric.buckets) == sorted(set(metric.buckets)) and metric.buckets


def test_labels_are_declared_as_keywords_without_defaults() -> None:
    for labels in (lambda method: None, lambda *, method="x": None, lambda **labels: None):
        with pytest.raises(TypeError, match="keyword-only"):
            Counter("firegate_wrong", "Wrongly declared.", labels)


def test_the_operations_page_lists_every_metric_with_its_labels() -> None:
    table = metrics_table()
    assert set(table) == {exposed(metric) for metric in CATALOGUE}
    for metric in CATALOGUE:
        labels, what = table[exposed(metric)]
        assert labels == set(metric.label_names), (metric.name, labels)
        assert what.startswith("histogram") == isinstance(metric, catalogue.Histogram), what


@pytest.fixture
def adapters() -> Iterator[list[Metrics]]:
    otlp = [OtlpMetrics("http://127.0.0.1:9/v1/metrics", interval_ms=3_600_000) for _ in "ab"]
    yield [NO_METRICS, PrometheusMetrics(), otlp[0], FanOut([PrometheusMetrics(), otlp[1]])]
    for made in otlp:
        made.provider.shutdown()


def test_every_adapter_refuses_labels_other_than_the_metrics_own(
    adapters: list[Metrics],
) -> None:
    # Each call below is one mypy refuses too: the ignore, unused, would fail mypy --strict.
    for metrics in adapters:
        with pytest.raises(ValueError, match="firegate_signins has labels method, outcome"):
            metrics.add(SIGNINS, method="password")  # type: ignore[call-arg]
        with pytest.raises(ValueError, match="firegate_signins"):
            metrics.add(SIGNINS, method="password", outcome="failed", user="alice")  # type: ignore[call-arg]
        with pytest.raises(ValueError, match="firegate_refresh_reuse has labels none"):
            metrics.add(REFRESH_REUSE, session="s1")  # type: ignore[call-arg]
        with pytest.raises(ValueError, match="firegate_http_request_duration_seconds"):
            metrics.observe(HTTP_REQUESTS, 0.1, path="/user")  # type: ignore[call-arg]


def test_labels_in_another_order_count_in_the_same_series() -> None:
    metrics = PrometheusMetrics()
    metrics.add(SIGNINS, method="password", outcome="failed")
    metrics.add(SIGNINS, outcome="failed", method="password")
    metrics.observe(HTTP_REQUESTS, 0.01, route="/user", method="GET", status=200)
    metrics.observe(HTTP_REQUESTS, 0.02, status=200, route="/user", method="GET")
    seen = samples(metrics.exposition().decode())
    assert seen['firegate_signins_total{method="password",outcome="failed"}'] == 2
    series = 'method="GET",route="/user",status="200"'
    assert seen[f"firegate_http_request_duration_seconds_count{{{series}}}"] == 2


# A metric of a test's own: any declared metric is registered and emitted alike.
ATTEMPTS = catalogue.Counter("firegate_test_attempts", "Attempts.", lambda *, kind: None)
SIZES = catalogue.Histogram(
    "firegate_test_size_bytes", "Sizes.", lambda: None, unit="By", buckets=(10.0, 100.0)
)
SEEN = catalogue.Gauge("firegate_test_seen_timestamp_seconds", "Seen.", lambda: None)


def test_prometheus_registers_any_declared_metric_with_its_help_and_buckets() -> None:
    metrics = PrometheusMetrics((ATTEMPTS, SIZES, SEEN))
    metrics.add(ATTEMPTS, kind="first")
    metrics.observe(SIZES, 50.0)
    metrics.set(SEEN, 1_000.0)
    text = metrics.exposition().decode()
    assert "# HELP firegate_test_attempts_total Attempts.\n" in text
    assert "# TYPE firegate_test_size_bytes histogram\n" in text
    seen = samples(text)
    assert seen['firegate_test_attempts_total{kind="first"}'] == 1
    assert seen['firegate_test_size_bytes_bucket{le="10.0"}'] == 0
    assert seen['firegate_test_size_bytes_bucket{le="100.0"}'] == 1
    assert seen["firegate_test_seen_timestamp_seconds"] == 1_000.0
    assert "firegate_signins_total" not in text  # only what it was given
    with pytest.raises(ValueError, match="firegate_signins is not a metric"):
        metrics.add(SIGNINS, method="password", outcome="failed")


def test_an_adapter_refuses_a_metric_not_in_its_catalogue() -> None:
    otlp = OtlpMetrics("http://127.0.0.1:9/v1/metrics", interval_ms=3_600_000)
    calls: list[Callable[[], None]] = [
        partial(otlp.add, ATTEMPTS, kind="first"),
        partial(otlp.observe, SIZES, 1.0),
        partial(otlp.set, SEEN, time.time()),
    ]
    try:
        for call in calls:
            with pytest.raises(ValueError, match="is not a"):
                call()
    finally:
        otlp.provider.shutdown()
