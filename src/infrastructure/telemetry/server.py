"""Each request's server span, from Flask's own hooks: its parent the propagated context,
named by the route (``POST /auth/login``), with the method, route and status (not the
path, which may name an account).

OpenTelemetry's Flask instrumentation does the same and more (a WSGI environ's worth of
attributes, the URL rebuilt twice, its own metrics): measured at about 240 µs of CPU per
request, a third of a GET /user's, where these hooks spend a fraction of that
(docs/decisions/0310-opentelemetry-traces.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask import Flask, Response, request
from opentelemetry import context, propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer

_SPAN = "firegate.span"  # the request's span and its context token, in the WSGI environ
# The headers the propagators read (infrastructure/telemetry/sdk.py), as the WSGI environ
# names them: only these are handed over, so that no propagator walks the whole environ.
_HEADERS = (
    ("HTTP_TRACEPARENT", "traceparent"),
    ("HTTP_X_CLOUD_TRACE_CONTEXT", "x-cloud-trace-context"),
)


def incoming(environ: Mapping[str, object]) -> Context:
    """The context the request's propagation headers give; an empty one without them."""
    carrier = {name: value for key, name in _HEADERS if isinstance(value := environ.get(key), str)}
    return propagate.extract(carrier) if carrier else Context()


def install_server_spans(app: Flask, tracer: Tracer, untraced: Iterable[str] = ()) -> None:
    """A server span for each request of ``app`` but those of the ``untraced`` paths, begun
    before any other ``before_request`` hook (the per-address limits' counters are in it)
    and ended when the request is torn down."""
    skip = frozenset(untraced)

    def begin() -> None:
        path = request.path
        if path in skip:
            return
        environ = request.environ
        parent = incoming(environ)
        method, rule = request.method, request.url_rule
        route = rule.rule if rule is not None else ""
        span = tracer.start_span(
            f"{method} {route}" if route else method,
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "http.route": route},
        )
        environ[_SPAN] = (span, context.attach(trace.set_span_in_context(span, parent)))

    def status(response: Response) -> Response:
        begun = request.environ.get(_SPAN)
        if begun is not None:
            span = begun[0]
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 500:
                span.set_status(Status(StatusCode.ERROR))
        return response

    def end(error: BaseException | None) -> None:
        begun = request.environ.pop(_SPAN, None)
        if begun is None:
            return
        span, token = begun
        if error is not None:
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        context.detach(token)
        span.end()

    app.before_request_funcs.setdefault(None, []).insert(0, begin)
    app.after_request(status)
    app.teardown_request(end)
