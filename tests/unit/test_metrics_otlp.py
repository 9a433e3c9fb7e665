"""OTLP metrics (docs/operations.md, "Metrics"): the same counters as Prometheus', sent by
OpenTelemetry's OTLP/HTTP exporter to a receiver of the protocol's own (opentelemetry-proto's
ExportMetricsServiceRequest, decoded here), each worker with its own service.instance.id."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import Histogram, InMemoryMetricReader

from application import metrics as catalogue
from application.ports import NO_METRICS, Metrics
from bootstrap.metrics import measuring
from infrastructure.metrics.fanout import FanOut
from infrastructure.metrics.otlp import OtlpMetrics
from infrastructure.metrics.prometheus import PrometheusMetrics
from interfaces.shared.metrics import MetricsConfig, install_metrics
from tests.support.api import bearer
from tests.support.metrics import samples
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit

PORT = 25230  # E1's block
REQUESTS, REQUEST_BUCKETS = catalogue.HTTP_REQUESTS.name, catalogue.HTTP_REQUESTS.buckets


def request(metrics: Metrics, route: str, method: str, status: int, seconds: float) -> None:
    metrics.observe(catalogue.HTTP_REQUESTS, seconds, route=route, method=method, status=status)


class Receiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", PORT), _Handler)
        self.requests: list[ExportMetricsServiceRequest] = []


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/v1/metrics":
            request = ExportMetricsServiceRequest()
            request.ParseFromString(body)
            self.server.requests.append(request)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def points(receiver: Receiver) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Each metric's data points as (attributes, value): a sum's or a gauge's value, a
    histogram's count."""
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for request in receiver.requests:
        for resource in request.resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    kind = metric.WhichOneof("data")
                    for point in getattr(metric, kind).data_points:
                        labels = {a.key: a.value.string_value for a in point.attributes}
                        if kind == "histogram":
                            value = float(point.count)
                        else:
                            value = point.as_double or float(point.as_int)
                        found.setdefault(metric.name, []).append((labels, value))
    return found


def test_the_counters_go_by_otlp_with_the_workers_own_instance_id(receiver: Receiver) -> None:
    metrics = OtlpMetrics(f"http://127.0.0.1:{PORT}/v1/metrics", interval_ms=3_600_000)
    metrics.add(catalogue.SIGNINS, method="password", outcome="succeeded")
    metrics.add(catalogue.SIGNINS, method="password", outcome="succeeded")
    metrics.add(catalogue.SIGNINS, method="passkey", outcome="failed")
    metrics.add(catalogue.TOKENS_ISSUED, grant="client_credentials")
    metrics.add(catalogue.MAILS, kind="verify_email", outcome="sent")
    metrics.add(catalogue.WEBHOOK_ATTEMPTS, outcome="failed")
    metrics.observe(catalogue.WEBHOOK_DELAY, 3.0)
    metrics.observe(catalogue.ARGON2_QUEUE_WAIT, 0.01)
    metrics.add(catalogue.IMPORTED_HASH_FAILURES, kind="bcrypt")
    metrics.observe(catalogue.HTTP_REQUESTS, 0.004, route="/user", method="GET", status=200)
    metrics.set(catalogue.JOBS_WAITING, 2, queue="jobs")
    metrics.set(catalogue.JOBS_OLDEST_DUE, time.time() - 30, queue="jobs")
    assert metrics.provider.force_flush(10_000)
    found = points(receiver)
    assert sorted(found["firegate_signins"], key=str) == sorted(
        [
            ({"method": "password", "outcome": "succeeded"}, 2.0),
            ({"method": "passkey", "outcome": "failed"}, 1.0),
        ],
        key=str,
    )
    assert found["firegate_tokens_issued"] == [({"grant": "client_credentials"}, 1.0)]
    assert found["firegate_mails"] == [({"kind": "verify_email", "outcome": "sent"}, 1.0)]
    assert found["firegate_webhook_attempts"] == [({"outcome": "failed"}, 1.0)]
    assert found["firegate_webhook_delay_seconds"] == [({}, 1.0)]
    assert found["firegate_argon2_queue_wait_seconds"] == [({}, 1.0)]
    assert found["firegate_imported_hash_failures"] == [({"kind": "bcrypt"}, 1.0)]
    request = {"route": "/user", "method": "GET", "status": "200"}
    assert found["firegate_http_request_duration_seconds"] == [(request, 1.0)]
    assert found["firegate_jobs_waiting"] == [({"queue": "jobs"}, 2.0)]
    [(labels, age)] = found["firegate_jobs_oldest_age_seconds"]
    assert labels == {"queue": "jobs"} and 29 <= age <= 60
    resource = {
        a.key: a.value.string_value
        for a in receiver.requests[0].resource_metrics[0].resource.attributes
    }
    assert resource["service.name"] == "firegate" and resource["service.instance.id"]
    assert resource["service.instance.id"] == metrics.instance
    other = OtlpMetrics(f"http://127.0.0.1:{PORT}/v1/metrics", interval_ms=3_600_000)
    assert other.instance != metrics.instance  # another worker: a series of its own
    metrics.provider.shutdown()
    other.provider.shutdown()


def test_the_settings_choose_prometheus_otlp_both_or_none(receiver: Receiver) -> None:
    assert measuring(make_settings()) is None
    endpoint = {"otel_exporter_otlp_endpoint": f"http://127.0.0.1:{PORT}"}
    telemetry = make_settings(**endpoint).telemetry
    assert telemetry.metrics_otlp_endpoint == f"http://127.0.0.1:{PORT}/v1/metrics"
    telemetry = make_settings(**endpoint, otel_metrics_exporter="none").telemetry
    assert telemetry.metrics_otlp_endpoint is None
    only_otlp = measuring(make_settings(**endpoint))
    assert only_otlp is not None and isinstance(only_otlp.metrics, OtlpMetrics)
    assert only_otlp.exposition is None  # no /metrics without the token
    only_prometheus = measuring(make_settings(metrics_token="m" * 32))
    assert only_prometheus is not None
    assert isinstance(only_prometheus.metrics, PrometheusMetrics)
    both = measuring(make_settings(metrics_token="m" * 32, **endpoint))
    assert both is not None and isinstance(both.metrics, FanOut) and both.exposition is not None
    assert both.metrics is not NO_METRICS
    for made in (only_otlp, both):
        for target in getattr(made.metrics, "_targets", (made.metrics,)):
            if isinstance(target, OtlpMetrics):
                target.provider.shutdown()


def test_the_request_histogram_goes_as_the_sdks_own_would_go(receiver: Receiver) -> None:
    # firegate_http_request_duration_seconds is aggregated by OtlpMetrics itself (the SDK's
    # instrument costs several times more per request): what reaches the collector is what
    # the SDK's histogram with the same buckets makes of the same requests.
    requests = [
        ("/user", "GET", 200, 0.004),
        ("/user", "GET", 200, 0.005),  # on a bound: in that bound's bucket
        ("/user", "GET", 200, 0.3),
        ("/user", "GET", 401, 0.002),
        ("/login", "POST", 200, 12.0),  # above every bound
    ]
    metrics = OtlpMetrics(f"http://127.0.0.1:{PORT}/v1/metrics", interval_ms=3_600_000)
    reference = InMemoryMetricReader()
    histogram = (
        MeterProvider(metric_readers=[reference])
        .get_meter("reference")
        .create_histogram("h", explicit_bucket_boundaries_advisory=REQUEST_BUCKETS)
    )

    def send(batch: list[tuple[str, str, int, float]]) -> None:
        with ThreadPoolExecutor(4) as pool:  # from several threads, as gunicorn's
            list(pool.map(lambda r: request(metrics, *r), batch * 50))
        for route, method, status, seconds in batch * 50:
            attributes = {"route": route, "method": method, "status": str(status)}
            histogram.record(seconds, attributes)

    send(requests[:3])
    assert metrics.provider.force_flush(10_000)
    send(requests[3:])
    assert metrics.provider.force_flush(10_000)
    first, second = [sent_histogram(r) for r in receiver.requests]
    assert set(first) == {("/user", "GET", "200")}
    assert first[("/user", "GET", "200")].count == 150
    collected = reference.get_metrics_data()
    assert collected is not None
    (expected,) = collected.resource_metrics[0].scope_metrics[0].metrics
    assert isinstance(expected.data, Histogram)
    want = {
        tuple(str(p.attributes[k]) for k in ("route", "method", "status")): p
        for p in expected.data.data_points
        if p.attributes is not None
    }
    assert set(second) == set(want) and len(want) == 3
    for series, point in second.items():
        sdk = want[series]
        assert point.count == sdk.count and point.sum == pytest.approx(sdk.sum)
        assert list(point.bucket_counts) == list(sdk.bucket_counts)
        assert list(point.explicit_bounds) == list(sdk.explicit_bounds)
        assert (point.min, point.max) == (sdk.min, sdk.max)
    # Cumulative: the second export counts the first's requests again, from the same start.
    user = ("/user", "GET", "200")
    assert second[user].count == first[user].count
    assert second[user].start_time_unix_nano == first[user].start_time_unix_nano
    assert second[user].time_unix_nano > first[user].time_unix_nano
    metrics.provider.shutdown()


def sent_histogram(request: ExportMetricsServiceRequest) -> dict[tuple[str, ...], Any]:
    """The request histogram's data points in one export, by (route, method, status)."""
    found: dict[tuple[str, ...], Any] = {}
    for resource in request.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name != REQUESTS:
                    continue
                assert metric.histogram.aggregation_temporality == 2  # CUMULATIVE
                for point in metric.histogram.data_points:
                    labels = {a.key: a.value.string_value for a in point.attributes}
                    found[(labels["route"], labels["method"], labels["status"])] = point
    return found


def test_invented_http_methods_count_as_one_other_in_prometheus_and_otlp_alike(
    receiver: Receiver,
) -> None:
    # Anyone may send any token as a method (gunicorn passes it on): each must not become a
    # series of its own in /metrics nor in the collector.
    prometheus = PrometheusMetrics()
    otlp = OtlpMetrics(f"http://127.0.0.1:{PORT}/v1/metrics", interval_ms=3_600_000)
    token = "m" * 40
    app = Flask(__name__)
    app.add_url_rule("/ping", "ping", lambda: "pong", methods=["GET", "POST"])
    install_metrics(
        app, MetricsConfig(FanOut([prometheus, otlp]), prometheus.exposition, token=token)
    )
    client = app.test_client()
    for n in range(30):
        client.open("/ping", method=f"BREW{n}")
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE"):
        client.open("/ping", method=method)
    client.open("/nowhere", method="PROPFIND")
    text = client.get("/metrics", headers=bearer(token)).get_data(as_text=True)
    seen = samples(text)
    counted: dict[str, float] = {}  # requests by method label
    for key, value in seen.items():
        if key.startswith("firegate_http_request_duration_seconds_count{"):
            method = key.split('method="', 1)[1].split('"', 1)[0]
            counted[method] = counted.get(method, 0) + value
    standard = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE"}
    assert counted == {**dict.fromkeys(standard, 1.0), "other": 31.0}
    assert "BREW" not in text and "PROPFIND" not in text
    assert otlp.provider.force_flush(10_000)
    sent: dict[str, int] = {}
    for (_, method, _), point in sent_histogram(receiver.requests[-1]).items():
        sent[method] = sent.get(method, 0) + point.count
    # and the scrape itself, measured once it answered
    assert sent == {**dict.fromkeys(standard, 1), "GET": 2, "other": 31}
    otlp.provider.shutdown()
