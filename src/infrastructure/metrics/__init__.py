"""Metrics (docs/operations.md, "What to watch"): Prometheus text at /metrics and OTLP, each
imported only when configured (docs/decisions/0304-metrics.md)."""
