"""The OpenTelemetry SDK of this process: its resource, its tracer provider and exporter, the
propagators, and the client libraries' instrumentations (docs/operations.md, "Traces";
docs/decisions/0310-opentelemetry-traces.md).

Started once per process, after gunicorn's fork (``build_app`` runs in each worker): the
batch processor's thread and the exporter's connections are the worker's own. The metrics'
OTLP provider (infrastructure/metrics/otlp.py) is made beside it, with the same service name.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Literal

from opentelemetry import context, propagate, trace
from opentelemetry.context import Context
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.propagators.cloud_trace_propagator import CloudTraceFormatPropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

SERVICE_NAME = "firegate"
# Cloud Trace's OTLP endpoint (TRACES_EXPORTER=gcp), and the scope of its tokens.
CLOUD_TRACE_OTLP = "https://telemetry.googleapis.com/v1/traces"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
# Probes answer many times a minute and are not worth a trace each.
UNTRACED_PATHS = ("/healthz", "/readyz")
# The share of the requests without a caller's decision that are traced, and at most how
# many of them a second in each process (a worker), unless OTEL_TRACES_SAMPLER says otherwise:
# what traces cost then stays bounded whatever the traffic
# (docs/decisions/0310-opentelemetry-traces.md).
DEFAULT_SAMPLED = 0.1
DEFAULT_PER_SECOND = 2.0
# In the context a root span starts from: the request was drawn into the share already.
DRAWN = context.create_key("firegate.drawn")

_lock = threading.Lock()
_started: TracerProvider | None = None


def resource() -> Resource:
    """What every span and metric says about its source: ``service.name`` firegate, unless
    OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES say otherwise."""
    return Resource.create({"service.name": SERVICE_NAME})


def propagator() -> CompositePropagator:
    """The incoming W3C ``traceparent``, else Cloud Run's ``X-Cloud-Trace-Context``: each
    extracts in turn and the last one found wins, so ``traceparent`` goes last."""
    return CompositePropagator([CloudTraceFormatPropagator(), TraceContextTextMapPropagator()])


def use_propagators() -> None:
    """``propagator()`` for every instrumentation of this process, in and out."""
    propagate.set_global_textmap(propagator())


def exporter(kind: Literal["otlp", "gcp"], endpoint: str = "") -> SpanExporter:
    """OTLP over HTTP/protobuf: its endpoint, headers and timeout from OpenTelemetry's own
    OTEL_EXPORTER_OTLP_* variables; for ``gcp``, Cloud Trace's own OTLP endpoint (unless
    ``endpoint`` names another) with the Application Default Credentials' tokens."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
        OTLPSpanExporter,
    )

    if kind == "gcp":
        import google.auth  # noqa: PLC0415 - Cloud Trace only
        from google.auth.transport.requests import AuthorizedSession  # noqa: PLC0415

        credentials, _ = google.auth.default(scopes=[CLOUD_PLATFORM])
        session = AuthorizedSession(credentials)  # type: ignore[no-untyped-call]
        return OTLPSpanExporter(endpoint=endpoint or CLOUD_TRACE_OTLP, session=session)
    return OTLPSpanExporter()


class DrawnRoots(Sampler):
    """The default sampler's roots: ``share`` of them, by their trace id as
    TraceIdRatioBased decides, but for a request the server's middleware has drawn into the
    share already (``DRAWN`` in the context it starts from), which is sampled. The middleware
    draws before any span exists, so that a request left out makes none
    (infrastructure/telemetry/server.py)."""

    def __init__(self, share: float) -> None:
        self.share = share
        self._ratio = TraceIdRatioBased(share)

    def should_sample(  # noqa: PLR0917 - the SDK's Sampler signature
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if parent_context is not None and parent_context.get(DRAWN):
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)
        return self._ratio.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"DrawnRoots{{{self.share}}}"


def request_share() -> float | None:
    """The share of the requests without a caller's decision that are traced, drawn by the
    server's middleware: ``DEFAULT_SAMPLED``, unless OTEL_TRACES_SAMPLER names a sampler,
    which then decides every request itself (None)."""
    return None if os.environ.get("OTEL_TRACES_SAMPLER") else DEFAULT_SAMPLED


def sampler() -> Sampler | None:
    """The caller's decision where it sent one (``traceparent``, Cloud Run's header), else
    ``DEFAULT_SAMPLED`` of the requests; None when OTEL_TRACES_SAMPLER names another, which
    the SDK then reads."""
    share = request_share()
    return None if share is None else ParentBased(DrawnRoots(share))


def tracer_provider(kind: Literal["otlp", "gcp"], project: str, endpoint: str) -> TracerProvider:
    """A tracer provider exporting in batches (``start_traces``)."""
    # Cloud Trace files the spans under the resource's project.
    extra = {"gcp.project_id": project} if kind == "gcp" and project else {}
    provider = TracerProvider(sampler=sampler(), resource=resource().merge(Resource(extra)))
    provider.add_span_processor(BatchSpanProcessor(exporter(kind, endpoint)))
    return provider


def start_traces(
    kind: Literal["otlp", "gcp"], project: str = "", endpoint: str = ""
) -> TracerProvider:
    """This process's tracer provider, made on the first call: sampled by ``sampler()``,
    batched by OpenTelemetry's OTEL_BSP_* variables; the propagators. ``project``: Cloud
    Trace's; ``endpoint``: the traces' OTLP endpoint, if set."""
    global _started  # noqa: PLW0603 - one provider per process, as OpenTelemetry's global is
    with _lock:
        if _started is not None:
            return _started
        provider = tracer_provider(kind, project, endpoint)
        trace.set_tracer_provider(provider)
        use_propagators()
        _started = provider
        return provider


def instrument_clients(provider: TracerProvider) -> None:
    """Spans for the gRPC calls (Firestore's client library and Pub/Sub) and the requests
    made with ``requests``, from channels and sessions made from now on."""
    from opentelemetry.instrumentation.grpc import GrpcInstrumentorClient  # noqa: PLC0415
    from opentelemetry.instrumentation.requests import RequestsInstrumentor  # noqa: PLC0415

    # The metrics are firegate's own (docs/operations.md, "Metrics"): none from here.
    no_metrics = NoOpMeterProvider()
    grpc = GrpcInstrumentorClient()  # type: ignore[no-untyped-call]
    grpc.instrument(tracer_provider=provider, meter_provider=no_metrics)
    RequestsInstrumentor().instrument(tracer_provider=provider, meter_provider=no_metrics)


def current_ids() -> tuple[str, str, bool] | None:
    """The current span's trace id (32 hex digits), span id (16) and sampled flag (always
    true); None outside any sampled trace: the log line then takes Cloud Run's trace header,
    as with traces off, and a trace nobody records is not named."""
    context = trace.get_current_span().get_span_context()
    if not context.trace_flags.sampled:
        return None
    return (trace.format_trace_id(context.trace_id), trace.format_span_id(context.span_id), True)
