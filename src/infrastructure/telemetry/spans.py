"""Spans around the ports where no instrumentation fits: argon2, the mail server, the webhook
sender, the job queue and its jobs, and Firestore's REST path (docs/operations.md, "Traces").
The composition root puts them around the adapters when traces are on; each fits its port as
the adapter does. No attribute carries a password, an address or a URL's path or query."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from opentelemetry import trace
from opentelemetry.trace import INVALID_SPAN, Link, Span, SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from application.jobs import JobHandler
from application.outbound import WebhookSender
from application.ports import Job, JobQueue, Mail, Mailer, PasswordHasher

TRACER = "firegate"
FIRESTORE = {"db.system.name": "gcp.firestore"}
Post = Callable[[str, bytes], Any]
_W3C = TraceContextTextMapPropagator()  # a job's trace: the W3C traceparent alone


def unsampled() -> bool:
    """Inside a trace the sampler left out: a child span there would record nothing, so none
    is started (the SDK's own start costs several µs of a request's CPU for nothing;
    docs/decisions/0310-opentelemetry-traces.md)."""
    current = trace.get_current_span()
    return not current.is_recording() and current.get_span_context().is_valid


@contextmanager
def child_span(
    tracer: Tracer,
    name: str,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, str | int] | None = None,
) -> Iterator[Span]:
    """A span below the current one, none in an unsampled trace; outside any trace (a
    background thread, a job), a root span, sampled as the sampler decides."""
    if unsampled():
        yield INVALID_SPAN
        return
    with tracer.start_as_current_span(name, kind=kind, attributes=attributes) as span:
        yield span


def argon2_waited(seconds: float) -> None:
    """The argon2 hasher's queue wait, on the span of the hash or check that waited."""
    trace.get_current_span().set_attribute("firegate.argon2.queue_wait_ms", seconds * 1000)


class TracedHasher:
    def __init__(self, inner: PasswordHasher, tracer: Tracer) -> None:
        self._inner, self._tracer = inner, tracer

    def hash(self, password: str) -> str:
        with child_span(self._tracer, "argon2 hash"):
            return self._inner.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        with child_span(self._tracer, "argon2 verify"):
            return self._inner.verify(password_hash, password)

    def verify_dummy(self, password: str) -> None:
        with child_span(self._tracer, "argon2 verify"):
            self._inner.verify_dummy(password)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._inner.needs_rehash(password_hash)  # reads the hash's parameters: no work


class TracedMailer:
    def __init__(self, inner: Mailer, tracer: Tracer) -> None:
        self._inner, self._tracer = inner, tracer

    def send(self, mail: Mail) -> None:
        with child_span(self._tracer, "smtp send", kind=SpanKind.CLIENT):
            self._inner.send(mail)


class TracedWebhookSender:
    def __init__(self, inner: WebhookSender, tracer: Tracer) -> None:
        self._inner, self._tracer = inner, tracer

    def post(self, url: str, body: str, headers: dict[str, str], address: str | None = None) -> int:
        attributes = {"http.request.method": "POST", "server.address": urlsplit(url).hostname or ""}
        with child_span(
            self._tracer, "webhook POST", kind=SpanKind.CLIENT, attributes=attributes
        ) as span:
            status = self._inner.post(url, body, headers, address)
            span.set_attribute("http.response.status_code", status)
            return status


class TracedJobQueue:
    """A span for each job queued (``system``: ``gcp_pubsub`` or ``inprocess``)."""

    def __init__(self, inner: JobQueue, tracer: Tracer, system: str) -> None:
        self._inner, self._tracer, self._system = inner, tracer, system

    def enqueue(self, job: Job) -> None:
        attributes = {"messaging.system": self._system, "firegate.job.kind": job.kind}
        with child_span(
            self._tracer, f"publish {job.kind}", kind=SpanKind.PRODUCER, attributes=attributes
        ):
            # Where it was queued from goes with it (in an unsampled trace, the request's
            # decision: the job is left out too).
            carrier: dict[str, str] = {}
            _W3C.inject(carrier)
            self._inner.enqueue(replace(job, trace=carrier.get("traceparent", "")))


def traced_jobs(run: JobHandler, tracer: Tracer) -> JobHandler:
    """Each job run in a span of its own, a mail's SMTP send and a webhook's POST below it:
    a child of the span that queued it (``Job.trace``), in the request's trace; a pushed
    job's span links to the push request's span it runs in."""

    def traced(job: Job, final: bool) -> None:
        parent = _W3C.extract({"traceparent": job.trace}) if job.trace else None
        here = trace.get_current_span().get_span_context()
        links = [Link(here)] if parent is not None and here.is_valid else None
        with tracer.start_as_current_span(
            f"job {job.kind}",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes={"firegate.job.kind": job.kind},
            links=links,
        ):
            run(job, final)

    return traced


def firestore_rest(tracer: Tracer) -> Callable[[Post], Post]:
    """Around each request of Firestore's REST path (infrastructure/firestore/rest.py):
    a client span named by the API's method (batchGet, commit, runQuery)."""

    def around(post: Post) -> Post:
        def traced(url: str, body: bytes) -> Any:
            if unsampled():  # the one span of every read: its check inlined
                return post(url, body)
            method = url.rpartition(":")[2]
            with tracer.start_as_current_span(
                f"firestore {method}",
                kind=SpanKind.CLIENT,
                attributes={**FIRESTORE, "db.operation.name": method},
            ):
                return post(url, body)

        return traced

    return around
