"""Traces and metrics (docs/operations.md, "Traces" and "Metrics")."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr, field_validator

from infrastructure.settings.group import SettingsGroup


class TelemetrySettings(SettingsGroup):
    # Traces: exported by OTLP when an OTLP endpoint is set (OpenTelemetry's own variables,
    # read by its SDK too), to Cloud Trace with TRACES_EXPORTER=gcp; off otherwise, and then
    # nothing of OpenTelemetry is imported.
    traces_exporter: Literal["", "otlp", "gcp", "none"] = ""
    otel_exporter_otlp_endpoint: str = ""
    otel_exporter_otlp_traces_endpoint: str = ""
    # Metrics: Prometheus text at /metrics only with this bearer token (404 without it), and
    # OTLP metrics where an OTLP endpoint is set (unless OTEL_METRICS_EXPORTER=none); off
    # otherwise, and then neither library is imported.
    metrics_token: SecretStr | None = None
    otel_exporter_otlp_metrics_endpoint: str = ""
    otel_metrics_exporter: Literal["", "otlp", "none"] = ""

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _long_metrics_token(cls, value: object) -> object:
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if text in ("", None):
            return None  # set but empty: metrics off
        if isinstance(text, str) and len(text) < 32:
            raise ValueError("METRICS_TOKEN must be at least 32 characters (openssl rand -hex 32)")
        return value

    @property
    def traces(self) -> Literal["otlp", "gcp"] | None:
        """Where traces go: TRACES_EXPORTER, else OTLP when an OTLP endpoint is set; None: off."""
        if self.traces_exporter == "none":
            return None
        if self.traces_exporter:
            return self.traces_exporter
        if self.otel_exporter_otlp_endpoint or self.otel_exporter_otlp_traces_endpoint:
            return "otlp"
        return None

    @property
    def metrics_otlp_endpoint(self) -> str | None:
        """Where OTLP metrics go (the metrics endpoint, else the OTLP base); None: not sent."""
        if self.otel_metrics_exporter == "none":
            return None
        if self.otel_exporter_otlp_metrics_endpoint:
            return self.otel_exporter_otlp_metrics_endpoint
        if self.otel_exporter_otlp_endpoint:
            return self.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/metrics"
        return None
