"""Each request's server span: begun and ended by a WSGI middleware around the whole app (the
per-address limits' counters, every hook and the view are inside it), its parent the
propagated context, named by the route (``POST /auth/login``) as Flask answers, with the
method, route and status (not the path, which may name an account).

OpenTelemetry's Flask instrumentation does the same and more (a WSGI environ's worth of
attributes, the URL rebuilt twice, its own metrics): measured at about 240 µs of CPU per
request, a third of a GET /user's. With the default sampler, the middleware decides which
requests are left out before the SDK makes any span: the caller's decision, else a draw of
the share (``sdk.DrawnRoots``) within an allowance of so many a second; a request left out
runs under a span that records nothing, made without the SDK, so that what it calls carries
the decision and makes no span either (docs/decisions/0310-opentelemetry-traces.md)."""

from __future__ import annotations

import math
import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from flask import Flask, has_request_context, request
from opentelemetry import context, propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import (
    NonRecordingSpan,
    Span,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    Tracer,
)

from infrastructure.telemetry.sdk import DRAWN

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# The headers the propagators read (infrastructure/telemetry/sdk.py), as the WSGI environ
# names them: only these are handed over, so that no propagator walks the whole environ.
_HEADERS = (
    ("HTTP_TRACEPARENT", "traceparent"),
    ("HTTP_X_CLOUD_TRACE_CONTEXT", "x-cloud-trace-context"),
)


# The draws and the ids of the requests left out: not secrets, and not the ``random``
# module's shared generator (tests may seed it); reseeded in each forked worker.
_DRAWS = random.Random()  # noqa: S311
os.register_at_fork(after_in_child=_DRAWS.seed)
_DRAWN_IN = context.set_value(DRAWN, True, Context())
_NOT_SAMPLED = TraceFlags(TraceFlags.RANDOM_TRACE_ID)  # as the SDK flags its own ids


def incoming(environ: Mapping[str, object]) -> Context:
    """The context the request's propagation headers give; an empty one without them."""
    carrier = {name: value for key, name in _HEADERS if isinstance(value := environ.get(key), str)}
    return propagate.extract(carrier) if carrier else Context()


def install_server_spans(
    app: Flask,
    tracer: Tracer,
    untraced: Iterable[str] = (),
    share: float | None = None,
    per_second: float = math.inf,
) -> None:
    """A server span for each request of ``app`` but those of the ``untraced`` paths: the
    middleware around ``app.wsgi_app`` (Flask's documented place for one). A 500 is an error
    span; its exception is in the shell error handler's log line, under the request id of the
    access line that names the trace. ``share``: the default sampler's
    (``sdk.request_share``), drawn here, at most ``per_second`` of them a second; None: the
    tracer's sampler decides each request."""
    wrapped = ServerSpans(app.wsgi_app, tracer, untraced, share, Allowance(per_second))
    app.wsgi_app = wrapped  # type: ignore[method-assign]


class Allowance:
    """At most ``per_second`` takes a second, and as many at once: a token bucket, refilled
    as time passes. Asked only for a request the draw has chosen, so its lock is rarely
    taken."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate, self._clock = per_second, clock
        self._left, self._at = per_second, clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        if self._rate == math.inf:
            return True
        with self._lock:
            now = self._clock()
            self._left = min(self._rate, self._left + (now - self._at) * self._rate)
            self._at = now
            if self._left < 1:
                return False
            self._left -= 1
            return True


def _name(span: Span) -> None:
    """The span named by the request's route, while Flask still has the request (Flask
    answers, calling ``start_response``, before it lets the request go); a path no route has
    keeps the method alone."""
    if has_request_context():
        rule = request.url_rule
        if rule is not None:
            span.update_name(f"{request.method} {rule.rule}")
            span.set_attribute("http.route", rule.rule)


class ServerSpans:
    """The WSGI middleware: the span is the current one while the app answers, and ends when
    the app has returned its response (the body of every route here is made by then)."""

    def __init__(
        self,
        app: WSGIApplication,
        tracer: Tracer,
        untraced: Iterable[str],
        share: float | None = None,
        allowance: Allowance | None = None,
    ) -> None:
        self._app, self._tracer, self._skip = app, tracer, frozenset(untraced)
        self._share = share
        self._allowance = allowance or Allowance(math.inf)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") in self._skip:
            return self._app(environ, start_response)
        share = self._share
        if share is None:  # the sampler decides
            parent = incoming(environ)
        elif "HTTP_TRACEPARENT" in environ or "HTTP_X_CLOUD_TRACE_CONTEXT" in environ:
            parent = incoming(environ)
            caller = trace.get_current_span(parent).get_span_context()
            if caller.is_valid and not caller.trace_flags.sampled:  # the caller left it out
                return self._left_out(parent, environ, start_response)
        elif _DRAWS.random() < share and self._allowance.take():
            parent = _DRAWN_IN
        else:
            return self._left_out(None, environ, start_response)
        method = str(environ.get("REQUEST_METHOD", ""))
        span = self._tracer.start_span(
            method, context=parent, kind=SpanKind.SERVER, attributes={"http.request.method": method}
        )
        base = None if parent is _DRAWN_IN else parent  # the draw stays out of the request
        token = context.attach(trace.set_span_in_context(span, base or Context()))
        try:
            if not span.is_recording():  # sampled out: nothing to name, count or end
                return self._app(environ, start_response)
            return self._recorded(span, environ, start_response)
        finally:
            context.detach(token)

    def _left_out(
        self, caller: Context | None, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """The app under a span that records nothing: the caller's, or one of its own; what
        it calls then starts no span, and what it sends on carries the decision."""
        if caller is None:
            ids = SpanContext(
                _DRAWS.getrandbits(128) or 1,
                _DRAWS.getrandbits(64) or 1,
                is_remote=False,
                trace_flags=_NOT_SAMPLED,
            )
            caller = trace.set_span_in_context(NonRecordingSpan(ids), Context())
        token = context.attach(caller)
        try:
            return self._app(environ, start_response)
        finally:
            context.detach(token)

    def _recorded(
        self, span: Span, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        def respond(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            _name(span)
            code = int(status[:3]) if status[:3].isdigit() else 0
            span.set_attribute("http.response.status_code", code)
            if code >= 500:  # a server error
                span.set_status(Status(StatusCode.ERROR))
            return start_response(status, headers, *exc_info)

        try:
            return self._app(environ, respond)
        except BaseException as error:
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            raise
        finally:
            span.end()
