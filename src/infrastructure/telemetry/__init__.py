"""OpenTelemetry: the SDK's set-up for this process (sdk.py) and the spans put around the
ports (spans.py). Imported only when traces are on (docs/operations.md, "Traces"): with them
off, nothing of OpenTelemetry is imported."""
