"""OTLP metrics (docs/operations.md, "Metrics"): the same counters as Prometheus', sent by
OpenTelemetry's OTLP/HTTP exporter to a receiver of the protocol's own (opentelemetry-proto's
ExportMetricsServiceRequest, decoded here), each worker with its own service.instance.id."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from application.ports import NO_METRICS
from bootstrap.metrics import measuring
from infrastructure.metrics.fanout import FanOut
from infrastructure.metrics.otlp import OtlpMetrics
from infrastructure.metrics.prometheus import PrometheusMetrics
from tests.conftest import make_settings

pytestmark = pytest.mark.unit

PORT = 25230  # E1's block


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
    metrics.signin("password", "succeeded")
    metrics.signin("password", "succeeded")
    metrics.signin("passkey", "failed")
    metrics.token_issued("client_credentials")
    metrics.mail("verify_email", "sent")
    metrics.webhook_attempt("failed", 3.0)
    metrics.argon2_waited(0.01)
    metrics.request("/user", "GET", 200, 0.004)
    metrics.jobs_waiting("jobs", 2, time.time() - 30)
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
    assert make_settings(**endpoint).metrics_otlp_endpoint == f"http://127.0.0.1:{PORT}/v1/metrics"
    assert make_settings(**endpoint, otel_metrics_exporter="none").metrics_otlp_endpoint is None
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
