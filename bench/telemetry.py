#!/usr/bin/env python3
"""What traces and metrics cost: the service's CPU per request for GET /user and for logins
with both off, with traces on (OTLP to a local receiver, the default sampler: every request
traced) and with traces and metrics on (METRICS_TOKEN's Prometheus text and OTLP metrics).

    .venv/bin/python bench/telemetry.py [--seconds 5] [--rounds 3] [--connections 8]
                                        [--baseline REV] [--ratio 0.1]

The servers run at once under `gunicorn -c gunicorn.conf.py` on one Firestore emulator, with
the same settings but these; wrk loads each in turn, rotating which goes first, `--rounds`
times, and each figure is the median of the paired ratios (each round's server against the
one with everything off next to it in time). ``--baseline REV`` adds a server from a git
worktree of REV (the code before traces and metrics, say), to show that "off" costs what it
cost; ``--ratio 0.1`` adds one that samples a tenth of the requests. The receiver
(scripts/otlp_receiver.py) runs in this process and counts the exports without decoding
them, to take as little CPU as a collector elsewhere would.
Targets: at most 5% more CPU per request on. Writes bench/results/telemetry.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import requests

from _common import (
    PASSWORD,
    ROOT,
    Server,
    emulator_pid,
    loadavg,
    median,
    register_and_login,
    servers,
    service_env,
    start_emulators,
    summarize_runs,
    unique,
    warm_up,
    wipe_firestore,
    write_result,
    wrk,
)

sys.path.insert(0, str(ROOT))  # the repository's OTLP receiver, which the tests use too
from scripts.otlp_receiver import OtlpReceiver

OVERHEAD_MAX = 0.05
ACCOUNTS = 16
RECEIVER_PORT = 26210
PORTS = {
    "baseline": 26211,
    "off": 26212,
    "traces": 26213,
    "traces_metrics": 26214,
    "traces_ratio": 26215,
}
METRICS_TOKEN = "bench-metrics-token-0123456789abcdef"


def baseline_tree(rev: str) -> Path:
    """A worktree of ``rev`` beside the bench's results (made once, reused)."""
    path = ROOT / ".local" / f"bench-baseline-{rev}"
    if not (path / "gunicorn.conf.py").exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(path), rev], cwd=ROOT, check=True)
    return path


def main() -> int:  # noqa: PLR0912, PLR0915 - one scenario, read top to bottom
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--baseline", default="", help="a git revision to run beside")
    parser.add_argument(
        "--ratio",
        type=float,
        default=0.0,
        help="also traces sampled at this ratio (parentbased_traceidratio)",
    )
    parser.add_argument("--name", default="telemetry", help="result file name (experiments)")
    args = parser.parse_args()

    sink = OtlpReceiver(RECEIVER_PORT, decode=False)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    otlp = f"http://127.0.0.1:{RECEIVER_PORT}"
    emulators = start_emulators(("firestore",))
    try:
        wipe_firestore(emulators)
        # As in production: the request limiter on (it exempts /user; the sign-ups and logins
        # come from one address, so their limits are raised out of the way).
        env = service_env(
            emulators,
            RATE_LIMIT_ENABLED="true",
            RATE_LIMIT_LOGIN="1000000/minute",
            RATE_LIMIT_REGISTER="1000/minute",
        )
        env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
        env.pop("METRICS_TOKEN", None)
        configs = {
            "off": {},
            "traces": {"OTEL_EXPORTER_OTLP_ENDPOINT": otlp, "OTEL_METRICS_EXPORTER": "none"},
            "traces_metrics": {"OTEL_EXPORTER_OTLP_ENDPOINT": otlp, "METRICS_TOKEN": METRICS_TOKEN},
        }
        if args.ratio:
            configs["traces_ratio"] = {
                **configs["traces"],
                "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
                "OTEL_TRACES_SAMPLER_ARG": str(args.ratio),
            }
        made = [
            Server(f"telemetry-{label}", {**env, **extra}, port=PORTS[label])
            for label, extra in configs.items()
        ]
        if args.baseline:
            base = Server("telemetry-baseline", env, port=PORTS["baseline"])
            base.argv[2] = str(baseline_tree(args.baseline) / "gunicorn.conf.py")
            made.insert(0, base)
        labels = [s.name.removeprefix("telemetry-") for s in made]
        workers = int(env.get("WEB_CONCURRENCY", "2"))
        with servers(*made) as running:
            first = running[0]
            token = register_and_login(first.url, unique("telemetry"))["access_token"]
            prefix, bodies = unique("tlogin"), []
            with requests.Session() as http:
                for n in range(ACCOUNTS):
                    name = f"{prefix}_{n}"
                    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
                    created = http.post(first.url + "/register", json=body, timeout=60)
                    if created.status_code != 201:
                        raise SystemExit(f"register: {created.status_code} {created.text[:300]}")
                    bodies.append(json.dumps({"username": name, "password": PASSWORD}))
            pids = {s.name: [s.pid, *s.wait_workers(workers)] for s in running}
            emulator = emulator_pid(emulators.firestore_port)
            for server in running:
                warm_up(server.url + "/user", emulator, connections=8, token=token, chunks=4)
                wrk(server.url + "/login", connections=4, seconds=3, method="POST", bodies=bodies)
            scenarios: dict[str, dict[str, Any]] = {
                "get_user": {"path": "/user", "token": token},
                "login": {"path": "/login", "method": "POST", "bodies": bodies},
            }
            runs: dict[str, dict[str, list[dict[str, Any]]]] = {
                scenario: {label: [] for label in labels} for scenario in scenarios
            }
            for round_no in range(args.rounds):
                for scenario, load in scenarios.items():
                    shift = round_no % len(running)
                    order = list(running[shift:]) + list(running[:shift])
                    for server in order:
                        label = server.name.removeprefix("telemetry-")
                        extra = {k: v for k, v in load.items() if k != "path"}
                        run = wrk(
                            server.url + load["path"],
                            connections=args.connections,
                            seconds=args.seconds,
                            cpu_of=pids[server.name],
                            **extra,
                        )
                        runs[scenario][label].append(run)
                        print(
                            f"round {round_no + 1} {scenario:<8} {label:<15} "
                            f"{run['rps']:>7.1f} req/s  cpu/req {run['cpu_ms_per_request']:.3f} ms"
                            f"  errors {run['socket_errors'] + run['non_2xx']}  "
                            f"load {run['load_after']}",
                            flush=True,
                        )
            scraped = requests.get(
                next(s for s in running if s.name.endswith("traces_metrics")).url + "/metrics",
                headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
                timeout=10,
            )
    finally:
        emulators.stop()
        sink.shutdown()

    out: dict[str, Any] = {}
    ok = True
    for scenario, by_label in runs.items():
        entry: dict[str, Any] = {label: summarize_runs(by_label[label]) for label in labels}
        for label in labels:
            if label == "off":
                continue
            pairs = zip(by_label[label], by_label["off"], strict=True)
            ratios = [
                s["cpu_ms_per_request"] / o["cpu_ms_per_request"]
                for s, o in pairs
                if o["cpu_ms_per_request"]
            ]
            entry[f"{label}_over_off"] = round(median(ratios), 3)
            entry[f"{label}_over_off_spread"] = [round(min(ratios), 3), round(max(ratios), 3)]
            errors = entry[label]["errors"]
            if label != "baseline":
                ok &= entry[f"{label}_over_off"] <= 1 + OVERHEAD_MAX and errors == 0
        entry["runs"] = by_label
        out[scenario] = entry
    result = {
        "server": "gunicorn -c gunicorn.conf.py: gthread, 2 workers x 8 threads, local profile, "
        "Firestore emulator on loopback; load generator wrk (keep-alive), "
        f"{args.connections} connections",
        "seconds_per_run": args.seconds,
        "rounds": args.rounds,
        "servers": labels,
        "scenarios": out,
        "trace_exports_received": sink.trace_exports,
        "metric_exports_received": sink.metric_exports,
        "metrics_scrape_status": scraped.status_code,
        "targets": {"cpu_overhead_max": OVERHEAD_MAX},
        "met": ok,
        "load_at_end": loadavg(),
    }
    path = write_result(args.name, result)
    for scenario, entry in out.items():
        figures = "  ".join(
            f"{label} {entry[label]['cpu_ms_per_request']} ms"
            + (f" ({entry[f'{label}_over_off']}x)" if label != "off" else "")
            for label in labels
        )
        print(f"{scenario}: cpu/req {figures}")
    print(
        f"trace exports received {sink.trace_exports}, metric exports {sink.metric_exports}, "
        f"/metrics {scraped.status_code}; wrote {path}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
