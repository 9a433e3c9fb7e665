"""A sign-in's trace, exported by OTLP over HTTP/protobuf from `make run`'s gunicorn (two
workers) on the emulators to an OTLP receiver: the protocol's own, in Python
(scripts/otlp_receiver.py: an HTTP server taking POST /v1/traces with opentelemetry-proto's
ExportTraceServiceRequest), as the OpenTelemetry Collector is not among Debian's packages
(docs/operations.md, "Traces")."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanProto
from scripts.otlp_receiver import OtlpReceiver, ReceivedSpan

from tests.support.api import PASSWORD
from tests.support.servers import served
from tests.support.workers import local_dir

pytestmark = pytest.mark.e2e

RECEIVER_PORT, GUNICORN_PORT = 26200, 26201
TRACE = "0af7651916cd43dd8448eb211c80319c"
PARENT = "b7ad6b7169203331"


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    server = OtlpReceiver(RECEIVER_PORT)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def traced_url(emulators: Any, receiver: OtlpReceiver) -> Iterator[str]:
    with served(
        "gunicorn-traces.log",
        PORT=str(GUNICORN_PORT),
        WEB_CONCURRENCY="2",
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{RECEIVER_PORT}",
        OTEL_BSP_SCHEDULE_DELAY="100",  # ms: spans leave soon after their request
    ) as (url, _):
        yield url


def spans_of(receiver: OtlpReceiver, trace_id: str, *names: str) -> list[ReceivedSpan]:
    """The trace's spans once those named are all in (each worker exports its own)."""
    deadline = time.monotonic() + 15
    while True:
        found = receiver.of_trace(trace_id)
        if set(names) <= {s.name for s in found} or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def below(spans: list[ReceivedSpan], root: ReceivedSpan) -> list[ReceivedSpan]:
    children = {root.span_id}
    found: list[ReceivedSpan] = []
    grew = True
    while grew:
        grew = False
        for span in spans:
            if span.parent_id in children and span.span_id not in children:
                children.add(span.span_id)
                found.append(span)
                grew = True
    return found


def test_a_sign_in_is_one_trace_with_its_firestore_and_argon2_spans_and_its_log_line(
    traced_url: str, receiver: OtlpReceiver, firestore: Any
) -> None:
    body = {"username": "tracy", "email": "tracy@example.com", "password": PASSWORD}
    assert requests.post(traced_url + "/register", json=body, timeout=30).status_code == 201
    answer = requests.post(
        traced_url + "/auth/login",
        json={"username": "tracy", "password": PASSWORD},
        headers={"traceparent": f"00-{TRACE}-{PARENT}-01"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text

    spans = spans_of(receiver, TRACE, "POST /auth/login", "argon2 verify")
    (login,) = [s for s in spans if s.name == "POST /auth/login"]
    assert login.kind == SpanProto.SPAN_KIND_SERVER and login.parent_id == PARENT
    assert login.service == "firegate"
    assert login.attributes["http.response.status_code"].int_value == 200
    children = below(spans, login)
    names = [s.name for s in children]
    # The account read over REST (a span around the port), the session committed through
    # the client library (gRPC's instrumentation), the password checked with its queue wait.
    assert "firestore batchGet" in names, names
    assert "/google.firestore.v1.Firestore/Commit" in names, names
    (verify,) = [s for s in children if s.name == "argon2 verify"]
    assert verify.attributes["firegate.argon2.queue_wait_ms"].double_value >= 0

    # The request's log line names the same trace and the request's span.
    lines = [
        json.loads(line)
        for line in (local_dir() / "gunicorn-traces.log").read_text().splitlines()
        if line.startswith("{") and '"/auth/login"' in line
    ]
    (line,) = [x for x in lines if x.get("httpRequest", {}).get("requestUrl") == "/auth/login"]
    assert line["logging.googleapis.com/trace"] == f"projects/demo-firegate/traces/{TRACE}"
    assert line["logging.googleapis.com/spanId"] == login.span_id


def test_a_sign_ups_mail_is_sent_in_its_trace_by_the_job_it_queued(
    traced_url: str, receiver: OtlpReceiver, firestore: Any
) -> None:
    signup = "1cf1ab8e5c9f4b3d9a2e7d6c5b4a3f21"
    body = {"username": "posty", "email": "posty@example.com", "password": PASSWORD}
    answer = requests.post(
        traced_url + "/register",
        json=body,
        headers={"traceparent": f"00-{signup}-{PARENT}-01"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text

    names = ("POST /register", "publish send_mail", "job send_mail", "smtp send")
    spans = spans_of(receiver, signup, *names)
    by_name = {s.name: s for s in spans}
    assert set(names) <= set(by_name), sorted(by_name)
    request_span = by_name["POST /register"]
    # The mail job, queued by the request and run later on a job thread, is below the span
    # that queued it, and the mail server's send below the job's.
    assert by_name["publish send_mail"] in below(spans, request_span)
    assert by_name["job send_mail"].parent_id == by_name["publish send_mail"].span_id
    assert by_name["smtp send"].parent_id == by_name["job send_mail"].span_id
