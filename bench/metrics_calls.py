#!/usr/bin/env python3
"""What one call of the ``Metrics`` port costs, in one process, by adapter: the request
histogram (``observe(HTTP_REQUESTS, …)``, once per request by the shell's hook) and a
counter with two labels (``add(SIGNINS, …)``, a few per sign-in).

    PYTHONPATH=src .venv/bin/python bench/metrics_calls.py [--calls 20000] [--repeat 7]

Each adapter runs in a process of its own: Prometheus in this process's memory, Prometheus
in gunicorn's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR`` set before prometheus_client is
imported, as gunicorn.conf.py does: each value a memory-mapped file), OTLP (the exporter's
interval an hour, so nothing is sent while it runs), both behind the fan-out, and metrics
off (``NO_METRICS``). A call's figure is the fastest of ``--repeat`` runs of ``--calls``
calls, the requests rotating over three series, as a busy worker's do
(docs/decisions/0362-a-catalogue-of-metrics.md). Writes bench/results/metrics_calls.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import timeit
from typing import Any

from _common import ROOT, loadavg, write_result

ADAPTERS = ("off", "prometheus", "prometheus-multiprocess", "otlp", "both")
REQUESTS = (("/user", "GET", 200), ("/login", "POST", 200), ("/tasks/<task_id>", "GET", 404))


def measure(adapter: str, calls: int, repeat: int) -> dict[str, float]:
    """µs per call of each kind, in this process (its environment already set)."""
    from application.metrics import HTTP_REQUESTS, SIGNINS  # noqa: PLC0415
    from application.ports import NO_METRICS, Metrics  # noqa: PLC0415

    logging.disable()  # the OTLP exporter's complaints at exit: no receiver
    metrics: Metrics = NO_METRICS
    targets: list[Metrics] = []
    if adapter.startswith("prometheus") or adapter == "both":
        from infrastructure.metrics.prometheus import PrometheusMetrics  # noqa: PLC0415

        targets.append(PrometheusMetrics())
    if adapter in ("otlp", "both"):
        from infrastructure.metrics.otlp import OtlpMetrics  # noqa: PLC0415

        targets.append(OtlpMetrics("http://127.0.0.1:9/v1/metrics", interval_ms=3_600_000))
    if len(targets) == 1:
        metrics = targets[0]
    elif targets:
        from infrastructure.metrics.fanout import FanOut  # noqa: PLC0415

        metrics = FanOut(targets)

    def requests() -> None:
        for route, method, status in REQUESTS:
            metrics.observe(HTTP_REQUESTS, 0.004, route=route, method=method, status=status)

    def signins() -> None:
        for outcome in ("succeeded", "failed", "succeeded"):
            metrics.add(SIGNINS, method="password", outcome=outcome)

    per_call = len(REQUESTS) * calls / 1e6
    return {
        name: round(min(timeit.repeat(run, number=calls, repeat=repeat)) / per_call, 3)
        for name, run in (("request_us", requests), ("signin_us", signins))
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--one", choices=ADAPTERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.calls, args.repeat)))
        return
    results: dict[str, Any] = {}
    for adapter in ADAPTERS:
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        with tempfile.TemporaryDirectory() as files:
            if adapter == "prometheus-multiprocess":
                env["PROMETHEUS_MULTIPROC_DIR"] = files
            command = [sys.executable, __file__, "--one", adapter]
            command += ["--calls", str(args.calls), "--repeat", str(args.repeat)]
            out = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
        results[adapter] = json.loads(out.stdout.splitlines()[-1])
        print(f"{adapter:24} {results[adapter]}", flush=True)
    path = write_result(
        "metrics_calls",
        {"calls": args.calls, "repeat": args.repeat, "loadavg": loadavg(), "results": results},
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
