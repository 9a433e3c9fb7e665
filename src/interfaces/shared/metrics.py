"""The shell's part of the metrics (docs/operations.md, "Metrics"): every request's duration
by its route's rule and its method (an invented one as ``other``), and /metrics, the Prometheus
text, only to the bearer of METRICS_TOKEN.
Installed only when metrics are on: off, no hook runs on any request."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, Response, g, request

from application.metrics import HTTP_REQUESTS
from application.ports import Metrics
from domain.errors import Unauthenticated

UNMATCHED = "unmatched"  # the route label of a request no rule matched (a 404, a 405)
# The method label: HTTP's own methods (RFC 9110 and PATCH) by name, any other token a client
# invents as one value, so that made-up methods cannot grow the series without end.
STANDARD_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE")
)
OTHER_METHOD = "other"


def method_label(method: str) -> str:
    """The method label of a request: its method when standard, else ``other``."""
    return method if method in STANDARD_METHODS else OTHER_METHOD


@dataclass(frozen=True)
class MetricsConfig:
    metrics: Metrics
    # The Prometheus text and its content type, served at /metrics to the bearer of
    # ``token``; None: no /metrics (OTLP alone), and the path is a 404.
    exposition: Callable[[], bytes] | None = None
    content_type: str = "text/plain; version=0.0.4; charset=utf-8"
    token: str = ""
    # Run once a response is sent, for a gauge counted now and then rather than on each
    # change (``LegacyGauge``); its own clock says when it is due.
    refresh: Callable[[], None] | None = None


def install_metrics(app: Flask, config: MetricsConfig) -> None:
    metrics = config.metrics

    @app.after_request
    def _measure(response: Response) -> Response:
        started = g.get("started")  # set by the request log's hook (interfaces/shared/logs.py)
        rule = request.url_rule
        seconds = time.perf_counter() - started if started is not None else 0.0
        route = rule.rule if rule is not None else UNMATCHED
        method, status = method_label(request.method), response.status_code
        metrics.observe(HTTP_REQUESTS, seconds, route=route, method=method, status=status)
        if config.refresh is not None:
            response.call_on_close(config.refresh)
        return response

    exposition = config.exposition
    if exposition is None or not config.token:
        return
    expected = f"Bearer {config.token}".encode()

    def exported() -> Response:
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            raise Unauthenticated("The metrics need their bearer token.", code="invalid_token")
        return Response(exposition(), content_type=config.content_type)

    app.add_url_rule("/metrics", "metrics", exported, methods=["GET"])
