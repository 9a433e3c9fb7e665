#!/usr/bin/env python3
"""An OTLP/HTTP trace receiver: the protocol's own, for `make run` and the tests, where no
collector is installed (docs/operations.md, "Traces").

    .venv/bin/python scripts/otlp_receiver.py [--port 4318]

It takes POST /v1/traces, an ExportTraceServiceRequest in protobuf (gzipped or not), prints a
line for each span (its trace, its name, its duration and its parent) and answers with an
empty ExportTraceServiceResponse; POST /v1/metrics is answered and counted, not decoded.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


@dataclass(frozen=True)
class ReceivedSpan:
    trace_id: str  # 32 hex digits
    span_id: str  # 16
    parent_id: str  # "" for a root
    name: str
    kind: int  # opentelemetry.proto.trace.v1.Span.SpanKind
    duration_ms: float
    attributes: dict[str, Any]  # AnyValue messages by key
    service: str


class OtlpReceiver(ThreadingHTTPServer):
    """The spans received, in the order they came; ``seen`` is told of each. Without
    ``decode``, exports are only counted (a bench's receiver, that should take little of the
    machine's CPU from the service it measures)."""

    def __init__(
        self,
        port: int,
        seen: Callable[[ReceivedSpan], None] | None = None,
        host: str = "",
        *,
        decode: bool = True,
    ) -> None:
        super().__init__((host or "127.0.0.1", port), _Handler)
        self.spans: list[ReceivedSpan] = []
        self.decode = decode
        self.trace_exports = 0
        self.metric_exports = 0
        self.lock = threading.Lock()
        self.seen = seen

    def take(self, request: ExportTraceServiceRequest) -> None:
        received = []
        for resource_spans in request.resource_spans:
            resource = {a.key: a.value for a in resource_spans.resource.attributes}
            service = resource["service.name"].string_value if "service.name" in resource else ""
            for scope_spans in resource_spans.scope_spans:
                received += [
                    ReceivedSpan(
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_id=span.parent_span_id.hex(),
                        name=span.name,
                        kind=span.kind,
                        duration_ms=(span.end_time_unix_nano - span.start_time_unix_nano) / 1e6,
                        attributes={a.key: a.value for a in span.attributes},
                        service=service,
                    )
                    for span in scope_spans.spans
                ]
        with self.lock:
            self.spans += received
        if self.seen is not None:
            for span in received:
                self.seen(span)

    def of_trace(self, trace_id: str) -> list[ReceivedSpan]:
        with self.lock:
            return [span for span in self.spans if span.trace_id == trace_id]


class _Handler(BaseHTTPRequestHandler):
    server: OtlpReceiver
    # Keep-alive, as a collector does: each export of a worker reuses its connection.
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        if self.headers.get_content_type() != "application/x-protobuf":
            self.send_error(415)
            return
        if self.path == "/v1/traces":
            with self.server.lock:
                self.server.trace_exports += 1
            if self.server.decode:
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                self.server.take(request)
        elif self.path == "/v1/metrics":
            with self.server.lock:
                self.server.metric_exports += 1
        else:
            self.send_error(404)
            return
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        return None


def _print(span: ReceivedSpan) -> None:
    parent = f" under {span.parent_id}" if span.parent_id else ""
    print(
        f"{span.trace_id} {span.span_id} {span.duration_ms:9.2f} ms  {span.name}{parent}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--port", type=int, default=4318)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    receiver = OtlpReceiver(args.port, seen=_print, host=args.host)
    print(f"OTLP/HTTP on http://{args.host}:{args.port}/v1/traces", flush=True)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: done
        receiver.serve_forever()


if __name__ == "__main__":
    main()
