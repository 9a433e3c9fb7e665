"""Traces, when the settings turn them on (docs/operations.md, "Traces"): the process's SDK,
the spans put around the ports' adapters, the request spans of the app. Imported only then:
with traces off nothing here runs, nor is OpenTelemetry imported."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, cast

from flask import Flask, request
from flask.typing import ResponseReturnValue
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Tracer
from werkzeug.exceptions import HTTPException

from application.jobs import JobHandler
from bootstrap.adapters import Adapters
from bootstrap.platform import JobQueueFactory
from infrastructure.firestore.rest import wrap_posts
from infrastructure.settings import Settings
from infrastructure.telemetry import sdk, spans
from infrastructure.telemetry.server import install_server_spans

TOKEN_ENDPOINT = "oauth.token"
_GRANT_TYPE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:.-")


# The ports a span goes around, by the name the core unit's adapters hold each under (the
# accounts' ``hasher``, mail's ``mailer``, events' ``webhook_sender``), with their spans.
_TRACED: dict[str, Callable[[Any, Tracer], object]] = {
    "hasher": spans.TracedHasher,
    "mailer": spans.TracedMailer,
    "webhook_sender": spans.TracedWebhookSender,
}


@dataclass(frozen=True)
class Tracing:
    provider: TracerProvider
    queue_system: str = "inprocess"  # JOB_QUEUE's: "gcp_pubsub" for Pub/Sub
    # The process's client libraries too (gRPC, requests, Firestore's REST path): the
    # production adapters' tracing, not a test's.
    clients: bool = False
    # The share of requests without a caller's decision that the server's middleware draws
    # (the provider's sampler is then ``sdk.sampler()``'s), and at most how many a second;
    # None: the sampler decides each.
    share: float | None = None
    per_second: float = math.inf

    @property
    def tracer(self) -> Tracer:
        return self.provider.get_tracer(spans.TRACER)

    trace_ids = staticmethod(sdk.current_ids)
    hash_waited = staticmethod(spans.argon2_waited)

    def adapters(self, adapters: Adapters) -> Adapters:
        """``adapters`` with a span around each call of argon2, the mail server, the webhook
        sender and the job queues, and around each job run (queued or pushed); with
        ``clients``, the gRPC and requests instrumentations and Firestore's REST spans,
        before the adapters' first call."""
        tracer = self.tracer
        if self.clients:
            _instrument_clients(self.provider)
        base = adapters.platform
        traced: list[Any] = []
        for placed in adapters.core():
            own: Any = placed.adapters
            wrapped = {
                port: wrap(getattr(own, port), tracer)
                for port, wrap in _TRACED.items()
                if hasattr(own, port)
            }
            if wrapped:
                traced.append(replace(own, **wrapped))
        return replace(
            adapters.with_(*traced),
            platform=replace(
                base,
                job_queue=self._queue(base.job_queue),
                webhook_queue=(
                    self._queue(base.webhook_queue) if base.webhook_queue is not None else None
                ),
                job_spans=self.job_spans,
            ),
        )

    def job_spans(self, run: JobHandler) -> JobHandler:
        """``run``, each job in a span of its own (queued or pushed)."""
        return spans.traced_jobs(run, self.tracer)

    def _queue(self, factory: JobQueueFactory) -> JobQueueFactory:
        tracer, system = self.tracer, self.queue_system

        def make(run: JobHandler) -> spans.TracedJobQueue:
            return spans.TracedJobQueue(factory(run), tracer, system)

        return make

    def install(self, app: Flask) -> None:
        """A server span for each request of ``app`` (a middleware around it, so that the
        per-address limits' counters are in it too), and one for the grant that the token
        endpoint runs, named by its ``grant_type``."""
        install_server_spans(app, self.tracer, sdk.UNTRACED_PATHS, self.share, self.per_second)
        view = app.view_functions.get(TOKEN_ENDPOINT)
        if view is not None:  # the provider is on
            app.view_functions[TOKEN_ENDPOINT] = _grant_span(cast(View, view), self.tracer)


View = Callable[[], ResponseReturnValue]


def _grant_span(view: View, tracer: Tracer) -> View:
    @functools.wraps(view)
    def token() -> ResponseReturnValue:
        try:
            given = request.form.get("grant_type", "")
        except HTTPException:  # a body too large: the view answers it
            given = ""
        grant = given if given and set(given) <= _GRANT_TYPE_CHARS and len(given) <= 100 else ""
        with spans.child_span(
            tracer, "oauth grant", attributes={"oauth.grant_type": grant or "invalid"}
        ):
            return view()

    return token


@functools.cache
def _process_tracing(kind: str, project: str, endpoint: str, queue_system: str) -> Tracing:
    provider = sdk.start_traces("gcp" if kind == "gcp" else "otlp", project, endpoint)
    share = sdk.request_share()
    per_second = sdk.DEFAULT_PER_SECOND if share is not None else math.inf
    return Tracing(provider, queue_system, clients=True, share=share, per_second=per_second)


@functools.cache
def _instrument_clients(provider: TracerProvider) -> None:
    sdk.instrument_clients(provider)
    wrap_posts(spans.firestore_rest(provider.get_tracer(spans.TRACER)))


def start(settings: Settings) -> Tracing | None:
    """This process's tracing, started on the first call; None when traces are off."""
    if settings.telemetry.traces is None:
        return None
    queue = "gcp_pubsub" if settings.jobs.job_queue == "pubsub" else "inprocess"
    return _process_tracing(
        settings.telemetry.traces,
        settings.service.google_cloud_project,
        settings.telemetry.otel_exporter_otlp_traces_endpoint,
        queue,
    )
