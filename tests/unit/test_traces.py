"""Traces (docs/operations.md, "Traces"): the request's span joins the incoming W3C
``traceparent``, else Cloud Run's ``X-Cloud-Trace-Context``; the ports' spans are its
children; the request's log line carries its trace and span ids. On in-memory fakes, with
an in-memory exporter in place of OTLP (tests/e2e/test_traces_gunicorn.py has the real one).
"""

from __future__ import annotations

import base64
import json
import logging
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import pytest
from flask.testing import FlaskClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, Sampler, SamplingResult
from opentelemetry.trace import SpanKind, StatusCode, Tracer

from application.jobs import JobPush, decode_job, encode_job
from application.ports import Job, Mail
from bootstrap import bind, build_app
from bootstrap.events import EventsAdapters
from bootstrap.mail import MailAdapters
from bootstrap.telemetry import Tracing
from infrastructure.telemetry import sdk
from infrastructure.telemetry.server import Allowance
from infrastructure.telemetry.spans import TracedJobQueue, child_span, traced_jobs
from tests.fakes.kernel import FakeJobQueue
from tests.support.api import PASSWORD
from tests.support.app import fake_adapters, swap
from tests.support.settings import TEST_OIDC_RSA_KEY, make_settings

pytestmark = pytest.mark.unit

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE}-{PARENT}-01"
CLOUD_TRACE = "105445aa7843bc8bf206b12000100000"
CLOUD_SPAN = 12345678901234567  # decimal in X-Cloud-Trace-Context
MAIL = Mail(to="alice@example.com", subject="Hello", text="hi", html="<p>hi</p>")
TRACE_FIELD = "logging.googleapis.com/trace"
SPAN_FIELD = "logging.googleapis.com/spanId"


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


def recording(spans: InMemorySpanExporter) -> TracerProvider:
    """A provider sampling as OpenTelemetry does by default, each span to ``spans``."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    return provider


@pytest.fixture
def traced(spans: InMemorySpanExporter) -> Iterator[FlaskClient]:
    provider = TracerProvider(resource=sdk.resource())
    provider.add_span_processor(SimpleSpanProcessor(spans))
    sdk.use_propagators()
    settings = make_settings(log_level="INFO")
    app = build_app(
        settings, fake_adapters(settings), configure_logs=False, tracing=Tracing(provider)
    )
    yield app.test_client()
    provider.shutdown()


@pytest.fixture
def access_lines(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="firegate.access")
    return caplog


def sign_up_and_in(client: FlaskClient, headers: dict[str, str]) -> None:
    body = {"username": "alice", "email": "alice@example.com", "password": PASSWORD}
    assert client.post("/register", json=body).status_code == 201
    answer = client.post(
        "/login", json={"username": "alice", "password": PASSWORD}, headers=headers
    )
    assert answer.status_code == 200, answer.get_json()


def server_span(spans: InMemorySpanExporter, name: str) -> ReadableSpan:
    (found,) = [s for s in spans.get_finished_spans() if s.name == name]
    assert found.kind is SpanKind.SERVER
    return found


def line_of(caplog: pytest.LogCaptureFixture, path: str) -> logging.LogRecord:
    (record,) = [r for r in caplog.records if r.getMessage().split()[1:2] == [path]]
    return record


def test_a_login_joins_the_traceparent_with_argon2_below_and_its_ids_in_the_log_line(
    traced: FlaskClient, spans: InMemorySpanExporter, access_lines: pytest.LogCaptureFixture
) -> None:
    sign_up_and_in(traced, {"traceparent": TRACEPARENT})
    login = server_span(spans, "POST /login")
    assert login.context is not None and login.parent is not None
    assert f"{login.context.trace_id:032x}" == TRACE
    assert f"{login.parent.span_id:016x}" == PARENT
    below = [s for s in spans.get_finished_spans() if s.parent == login.context]
    assert "argon2 verify" in [s.name for s in below]
    verify = next(s for s in below if s.name == "argon2 verify")
    assert verify.attributes is not None
    record = line_of(access_lines, "/login")
    assert getattr(record, TRACE_FIELD) == f"projects/demo-firegate/traces/{TRACE}"
    assert getattr(record, SPAN_FIELD) == f"{login.context.span_id:016x}"
    assert getattr(record, "logging.googleapis.com/trace_sampled") is True
    # The sign-up before it had no incoming trace: a trace of its own, in its line too.
    signup = server_span(spans, "POST /register")
    assert signup.context is not None and signup.parent is None
    assert signup.context.trace_id != login.context.trace_id
    assert getattr(line_of(access_lines, "/register"), TRACE_FIELD).endswith(
        f"{signup.context.trace_id:032x}"
    )


def test_without_traceparent_cloud_runs_header_gives_the_trace(
    traced: FlaskClient, spans: InMemorySpanExporter, access_lines: pytest.LogCaptureFixture
) -> None:
    header = f"{CLOUD_TRACE}/{CLOUD_SPAN};o=1"
    assert traced.get("/.well-known/jwks.json", headers={"X-Cloud-Trace-Context": header})
    jwks = server_span(spans, "GET /.well-known/jwks.json")
    assert jwks.context is not None and jwks.parent is not None
    assert f"{jwks.context.trace_id:032x}" == CLOUD_TRACE
    assert jwks.parent.span_id == CLOUD_SPAN
    record = line_of(access_lines, "/.well-known/jwks.json")
    assert getattr(record, TRACE_FIELD) == f"projects/demo-firegate/traces/{CLOUD_TRACE}"


def test_traceparent_wins_over_cloud_runs_header(
    traced: FlaskClient, spans: InMemorySpanExporter
) -> None:
    headers = {"X-Cloud-Trace-Context": f"{CLOUD_TRACE}/1;o=1", "traceparent": TRACEPARENT}
    traced.get("/.well-known/jwks.json", headers=headers)
    jwks = server_span(spans, "GET /.well-known/jwks.json")
    assert jwks.context is not None and f"{jwks.context.trace_id:032x}" == TRACE


def test_the_token_endpoint_names_its_grant(
    traced: FlaskClient, spans: InMemorySpanExporter
) -> None:
    answer = traced.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"},
        headers={"traceparent": TRACEPARENT},
    )
    assert answer.status_code in (400, 401)  # no such client
    token = server_span(spans, "POST /oauth/token")
    (grant,) = [s for s in spans.get_finished_spans() if s.name == "oauth grant"]
    assert grant.parent == token.context
    assert grant.attributes is not None
    assert grant.attributes["oauth.grant_type"] == "client_credentials"


def test_probes_are_not_traced(traced: FlaskClient, spans: InMemorySpanExporter) -> None:
    assert traced.get("/healthz").status_code == 200
    assert spans.get_finished_spans() == ()


def test_with_traces_off_the_log_line_keeps_cloud_runs_trace_and_no_span(
    access_lines: pytest.LogCaptureFixture,
) -> None:
    settings = make_settings(log_level="INFO")
    assert settings.telemetry.traces is None
    client = build_app(settings, fake_adapters(settings), configure_logs=False).test_client()
    header = f"{CLOUD_TRACE}/{CLOUD_SPAN};o=1"
    client.get("/.well-known/jwks.json", headers={"X-Cloud-Trace-Context": header})
    record = line_of(access_lines, "/.well-known/jwks.json")
    assert getattr(record, TRACE_FIELD) == f"projects/demo-firegate/traces/{CLOUD_TRACE}"
    assert not hasattr(record, SPAN_FIELD)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        ({"otel_exporter_otlp_endpoint": "http://127.0.0.1:4318"}, "otlp"),
        ({"otel_exporter_otlp_traces_endpoint": "http://127.0.0.1:4318/v1/traces"}, "otlp"),
        ({"traces_exporter": "gcp"}, "gcp"),
        ({"traces_exporter": "otlp"}, "otlp"),
        ({"traces_exporter": "none", "otel_exporter_otlp_endpoint": "http://x:4318"}, None),
    ],
)
def test_traces_are_off_unless_configured(env: dict[str, str], expected: str | None) -> None:
    assert make_settings(**env).telemetry.traces == expected


class GoogleStandIn(ThreadingHTTPServer):
    """Google's token endpoint (a service account's JWT for an access token) and an OTLP
    trace receiver, on one loopback port: what TRACES_EXPORTER=gcp talks to."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _GoogleHandler)
        self.exports: list[tuple[str, ExportTraceServiceRequest]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _GoogleHandler(BaseHTTPRequestHandler):
    server: GoogleStandIn

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/token":
            answer = json.dumps({"access_token": "ya29.stand-in", "expires_in": 3600}).encode()
        else:
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            self.server.exports.append((self.headers.get("Authorization", ""), request))
            answer = b""
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def google() -> Iterator[GoogleStandIn]:
    server = GoogleStandIn()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_cloud_trace_gets_the_spans_with_the_credentials_token_and_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, google: GoogleStandIn
) -> None:
    account = {
        "type": "service_account",
        "project_id": "elsewhere",
        "private_key_id": "1",
        "private_key": TEST_OIDC_RSA_KEY,
        "client_email": "traces@elsewhere.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": google.url + "/token",
    }
    (tmp_path / "key.json").write_text(json.dumps(account))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "key.json"))
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "parentbased_always_on")  # the one span, sampled
    provider = sdk.tracer_provider("gcp", "demo-firegate", google.url + "/v1/traces")
    provider.get_tracer("test").start_span("a span").end()
    provider.shutdown()  # exports what is left
    ((authorization, export),) = google.exports
    assert authorization == "Bearer ya29.stand-in"
    (resource_spans,) = export.resource_spans
    attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert attributes["gcp.project_id"] == "demo-firegate"
    assert attributes["service.name"] == "firegate"
    assert sdk.CLOUD_TRACE_OTLP == "https://telemetry.googleapis.com/v1/traces"


def test_the_ports_spans_a_job_with_its_smtp_send_and_a_webhook_post(
    spans: InMemorySpanExporter,
) -> None:
    provider = recording(spans)
    tracing = Tracing(provider)
    adapters = tracing.adapters(fake_adapters(make_settings()))

    def run(job: Job, final: bool) -> None:  # a mail job: its send below its span
        adapters.of(MailAdapters).mailer.send(MAIL)

    traced_jobs(run, tracing.tracer)(Job("send_mail", "t1"), False)
    assert (
        adapters.of(EventsAdapters).webhook_sender.post(
            "https://hooks.example.com/in?key=x", "{}", {}
        )
        == 200
    )
    finished = {s.name: s for s in spans.get_finished_spans()}
    job, smtp = finished["job send_mail"], finished["smtp send"]
    assert smtp.parent == job.context and job.kind is SpanKind.CONSUMER
    post = finished["webhook POST"]
    assert post.attributes is not None
    assert post.attributes["server.address"] == "hooks.example.com"  # not the path or query
    assert post.attributes["http.response.status_code"] == 200
    assert "key=x" not in str(dict(post.attributes))


def test_an_unsampled_request_records_nothing_and_its_line_keeps_cloud_runs_trace(
    traced: FlaskClient, spans: InMemorySpanExporter, access_lines: pytest.LogCaptureFixture
) -> None:
    # The caller (Cloud Run, here) decided not to sample: no span of the request, its login's
    # argon2 check or its Firestore calls is recorded, and the log line names the trace
    # from Cloud Run's header, as with traces off.
    unsampled = {
        "traceparent": f"00-{CLOUD_TRACE}-{PARENT}-00",
        "X-Cloud-Trace-Context": f"{CLOUD_TRACE}/{CLOUD_SPAN};o=0",
    }
    sign_up_and_in(traced, unsampled)
    recorded = sorted(s.name for s in spans.get_finished_spans())
    assert recorded == ["POST /register", "argon2 hash", "publish send_mail"]  # the sign-up's
    record = line_of(access_lines, "/login")
    assert getattr(record, TRACE_FIELD) == f"projects/demo-firegate/traces/{CLOUD_TRACE}"
    assert not hasattr(record, SPAN_FIELD)


class CountingTracer:
    """A tracer that counts the spans asked of it, around a real one."""

    def __init__(self, inner: Tracer) -> None:
        self.inner, self.started = inner, 0

    def start_as_current_span(self, name: str, **kwargs: Any) -> Any:
        self.started += 1
        return self.inner.start_as_current_span(name, **kwargs)


def test_no_child_span_is_started_in_an_unsampled_trace_but_one_is_outside_any_trace() -> None:
    provider = TracerProvider(sampler=ALWAYS_OFF)
    counting = CountingTracer(provider.get_tracer("test"))
    tracer = cast(Tracer, counting)
    with provider.get_tracer("test").start_as_current_span("unsampled request"):
        with child_span(tracer, "argon2 verify") as span:
            assert not span.is_recording()
        assert counting.started == 0  # the SDK's start would have made a span for nothing
    with child_span(tracer, "job send_mail"):  # no trace yet: a root, as the sampler says
        pass
    assert counting.started == 1


def test_the_default_sampler_follows_the_caller_else_samples_a_tenth(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_TRACES_SAMPLER", raising=False)
    sampler = sdk.sampler()
    assert sampler is not None
    provider = TracerProvider(sampler=sampler)
    tracer = provider.get_tracer("test")
    roots = [tracer.start_span("root") for _ in range(10_000)]
    assert 900 <= sum(s.is_recording() for s in roots) <= 1100  # ~ sdk.DEFAULT_SAMPLED
    for flags, recorded in (("01", True), ("00", False)):
        parent = sdk.propagator().extract({"traceparent": f"00-{TRACE}-{PARENT}-{flags}"})
        assert tracer.start_span("child", context=parent).is_recording() is recorded
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "parentbased_always_on")
    assert sdk.sampler() is None  # the SDK reads the variable itself
    assert (
        TracerProvider(sampler=sdk.sampler())
        .sampler.get_description()
        .startswith("ParentBased{root:AlwaysOnSampler")
    )


def test_a_request_that_fails_is_an_error_span_and_an_unknown_path_is_named_by_its_method(
    spans: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    provider = recording(spans)
    settings = make_settings()
    app = build_app(
        settings, fake_adapters(settings), configure_logs=False, tracing=Tracing(provider)
    )

    def fails() -> str:
        raise RuntimeError("a bug")

    app.add_url_rule("/fails", "fails", fails)
    client = app.test_client()
    assert client.get("/fails").status_code == 500
    assert client.get("/no/such/path").status_code == 404
    failed, unknown = spans.get_finished_spans()
    assert failed.name == "GET /fails" and failed.status.status_code is StatusCode.ERROR
    assert failed.context is not None
    # The exception is in the error handler's log line (the request id joins it to the
    # access line, which names the trace).
    (error,) = [r for r in caplog.records if r.name == "firegate.errors"]
    assert error.exc_info is not None and error.exc_info[0] is RuntimeError
    assert failed.attributes is not None
    assert failed.attributes["http.response.status_code"] == 500
    assert unknown.name == "GET" and unknown.status.status_code is StatusCode.UNSET
    assert unknown.attributes is not None
    assert unknown.attributes["http.response.status_code"] == 404
    assert "http.route" not in unknown.attributes


class ListQueue:
    """A job queue that keeps what it is given."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []

    def enqueue(self, job: Job) -> None:
        self.jobs.append(job)


def queued_in_a_request(provider: TracerProvider) -> tuple[Job, ReadableSpan | None]:
    """A job queued while a request's span is current, as a route queues a mail; the job as
    the queue was given it, and the request's span if it was recorded."""
    tracer = provider.get_tracer("test")
    inner = ListQueue()
    with tracer.start_as_current_span("POST /register", kind=SpanKind.SERVER) as request_span:
        TracedJobQueue(inner, tracer, "inprocess").enqueue(Job("send_mail", "t1"))
        recorded = request_span.is_recording()
    (job,) = inner.jobs
    return job, cast(ReadableSpan, request_span) if recorded else None


def test_a_queued_job_runs_in_the_trace_of_the_request_that_queued_it(
    spans: InMemorySpanExporter,
) -> None:
    provider = recording(spans)
    tracing = Tracing(provider)
    adapters = tracing.adapters(fake_adapters(make_settings()))
    job, request_span = queued_in_a_request(provider)
    assert request_span is not None and request_span.context is not None
    assert job == Job("send_mail", "t1")  # the same job; its trace only joins spans
    assert job.trace.startswith(f"00-{request_span.context.trace_id:032x}-")
    assert adapters.platform.job_spans is not None
    run = adapters.platform.job_spans(
        lambda job, final: adapters.of(MailAdapters).mailer.send(MAIL)
    )
    # Later, on a worker thread of the queue: no span is current there.
    worker = threading.Thread(target=run, args=(job, False))
    worker.start()
    worker.join()
    finished = {s.name: s for s in spans.get_finished_spans()}
    publish, ran, smtp = (
        finished["publish send_mail"],
        finished["job send_mail"],
        finished["smtp send"],
    )
    assert publish.parent == request_span.context and publish.kind is SpanKind.PRODUCER
    assert ran.parent is not None and publish.context is not None
    assert ran.parent.span_id == publish.context.span_id
    assert ran.context is not None and ran.context.trace_id == request_span.context.trace_id
    assert smtp.parent == ran.context
    assert not ran.links  # queued in this process: nothing else to point at


def test_a_job_queued_by_an_unsampled_request_is_left_out_and_one_from_nowhere_is_a_root(
    spans: InMemorySpanExporter,
) -> None:
    left_out = TracerProvider(sampler=ParentBased(ALWAYS_OFF))
    job, request_span = queued_in_a_request(left_out)
    assert request_span is None  # the request's decision goes with the job:
    assert not int(job.trace.rpartition("-")[2], 16) & 1  # its traceparent's sampled flag
    provider = recording(spans)
    run = traced_jobs(lambda job, final: None, provider.get_tracer("test"))
    run(job, False)
    assert spans.get_finished_spans() == ()  # not sampled, as its request was not
    run(Job("send_mail", "t2"), False)  # queued outside any request (a sweeper, say)
    (root,) = spans.get_finished_spans()
    assert root.name == "job send_mail" and root.parent is None


def test_a_pushed_job_joins_the_trace_that_queued_it_and_links_the_push_request(
    spans: InMemorySpanExporter,
) -> None:
    provider = recording(spans)
    settings = make_settings()
    services = bind(settings, Tracing(provider).adapters(fake_adapters(settings)))
    queued = Job("nothing_here", "t1", trace=TRACEPARENT)  # a kind no handler takes: dropped
    data = base64.b64encode(encode_job(queued)).decode()
    with provider.get_tracer("test").start_as_current_span("POST /internal/jobs") as push:
        services.platform.jobs.receive_push(JobPush(data=data))
    (ran,) = [s for s in spans.get_finished_spans() if s.name == "job nothing_here"]
    assert ran.context is not None and f"{ran.context.trace_id:032x}" == TRACE
    assert ran.parent is not None and f"{ran.parent.span_id:016x}" == PARENT
    (link,) = ran.links
    assert link.context == push.get_span_context()


def test_a_jobs_trace_travels_in_its_message_and_a_bad_one_is_dropped() -> None:
    job = Job("send_mail", "t1", trace=TRACEPARENT)
    assert decode_job(encode_job(job)) == job
    assert cast(Job, decode_job(encode_job(job))).trace == TRACEPARENT
    assert json.loads(encode_job(Job("send_mail", "t1"))) == {"kind": "send_mail", "subject": "t1"}
    for bad in ("x" * 56, 7, None):
        body = json.dumps({"kind": "send_mail", "subject": "t1", "trace": bad}).encode()
        assert decode_job(body) == Job("send_mail", "t1", trace="")
        assert cast(Job, decode_job(body)).trace == ""


class CountingSampler(Sampler):
    """A sampler that counts the decisions asked of it, around a real one: the SDK asks for
    one each time it makes a span, recorded or not."""

    def __init__(self, inner: Sampler) -> None:
        self.inner, self.asked = inner, 0

    def should_sample(self, *args: Any, **kwargs: Any) -> SamplingResult:
        self.asked += 1
        return self.inner.should_sample(*args, **kwargs)

    def get_description(self) -> str:
        return "Counting"


@dataclass
class Drawn:
    client: FlaskClient
    sampler: CountingSampler
    queue: FakeJobQueue


def drawn_app(
    spans: InMemorySpanExporter, share: float, roots: float = 0.0, per_second: float = math.inf
) -> Drawn:
    """The app on fakes with the default sampler's shape (``sdk.DrawnRoots``, its roots'
    own share ``roots``) and the middleware drawing ``share`` of the requests, at most
    ``per_second`` a second."""
    sampler = CountingSampler(ParentBased(sdk.DrawnRoots(roots)))
    provider = TracerProvider(sampler=sampler)
    provider.add_span_processor(SimpleSpanProcessor(spans))
    sdk.use_propagators()
    settings = make_settings(log_level="INFO")
    queue = FakeJobQueue()
    adapters = swap(fake_adapters(settings), job_queue=queue.attach)
    tracing = Tracing(provider, share=share, per_second=per_second)
    app = build_app(settings, adapters, configure_logs=False, tracing=tracing)
    return Drawn(app.test_client(), sampler, queue)


def test_a_request_left_out_by_the_draw_makes_no_span_and_sends_its_decision_on(
    spans: InMemorySpanExporter, access_lines: pytest.LogCaptureFixture
) -> None:
    drawn = drawn_app(spans, share=0.0)
    body = {"username": "alice", "email": "alice@example.com", "password": PASSWORD}
    assert drawn.client.post("/register", json=body).status_code == 201  # queues a mail
    assert drawn.client.get("/.well-known/jwks.json").status_code == 200
    # Not a span was made, recorded or not: the SDK's sampler was never asked.
    assert drawn.sampler.asked == 0 and spans.get_finished_spans() == ()
    assert not hasattr(line_of(access_lines, "/register"), SPAN_FIELD)
    # The mail job queued by the sign-up carries the request's trace, not sampled.
    (queued,) = [job for job in drawn.queue.jobs if job.kind == "send_mail"]
    version, trace_id, _, flags = queued.trace.split("-")
    assert version == "00" and int(trace_id, 16) and not int(flags, 16) & 1


def test_a_drawn_request_is_a_root_trace_whatever_the_roots_own_share(
    spans: InMemorySpanExporter,
) -> None:
    drawn = drawn_app(spans, share=1.0, roots=0.0)
    assert drawn.client.get("/.well-known/jwks.json").status_code == 200
    (jwks,) = spans.get_finished_spans()
    assert jwks.name == "GET /.well-known/jwks.json" and jwks.parent is None


def test_the_callers_decision_wins_over_the_draw_either_way(
    spans: InMemorySpanExporter,
) -> None:
    left_out = drawn_app(spans, share=1.0)
    unsampled = {"traceparent": f"00-{TRACE}-{PARENT}-00"}
    assert left_out.client.get("/.well-known/jwks.json", headers=unsampled).status_code == 200
    assert left_out.sampler.asked == 0 and spans.get_finished_spans() == ()
    taken = drawn_app(spans, share=0.0)
    assert taken.client.get("/.well-known/jwks.json", headers={"traceparent": TRACEPARENT})
    (jwks,) = spans.get_finished_spans()
    assert jwks.parent is not None and f"{jwks.parent.span_id:016x}" == PARENT
    cloud = {"X-Cloud-Trace-Context": f"{CLOUD_TRACE}/{CLOUD_SPAN};o=1"}
    assert taken.client.get("/.well-known/jwks.json", headers=cloud).status_code == 200
    traces = {f"{s.context.trace_id:032x}" for s in spans.get_finished_spans() if s.context}
    assert traces == {TRACE, CLOUD_TRACE}


def test_the_draw_takes_its_share_of_the_requests(spans: InMemorySpanExporter) -> None:
    drawn = drawn_app(spans, share=0.1)
    for _ in range(2000):
        assert drawn.client.get("/.well-known/jwks.json").status_code == 200
    assert 140 <= len(spans.get_finished_spans()) <= 260  # 200 expected; 4.5 deviations


def test_the_allowance_gives_so_many_a_second_and_as_many_at_once() -> None:
    now = [100.0]
    allowance = Allowance(2.0, clock=lambda: now[0])
    assert [allowance.take() for _ in range(3)] == [True, True, False]  # two at once
    now[0] += 0.25
    assert not allowance.take()  # half of one come back
    now[0] += 0.25
    assert allowance.take() and not allowance.take()
    now[0] += 60  # an idle minute refills two, not 120
    assert [allowance.take() for _ in range(3)] == [True, True, False]
    assert all(Allowance(math.inf).take() for _ in range(1000))


def test_the_draw_traces_no_more_requests_a_second_than_its_allowance(
    spans: InMemorySpanExporter,
) -> None:
    drawn = drawn_app(spans, share=1.0, per_second=2.0)
    began = time.monotonic()
    for _ in range(60):
        assert drawn.client.get("/.well-known/jwks.json").status_code == 200
    took = time.monotonic() - began
    # Every request drawn, two of them at once and two more each second: the rest left out,
    # without a span asked of the SDK.
    assert 2 <= len(spans.get_finished_spans()) <= 2 + int(took * 2.0)
    assert drawn.sampler.asked == len(spans.get_finished_spans())
