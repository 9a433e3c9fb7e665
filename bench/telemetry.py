#!/usr/bin/env python3
"""What traces and metrics cost: the service's CPU per request for GET /user and for logins
with both off, with traces on (OTLP to a local receiver, the default sampler), with metrics on
(METRICS_TOKEN's Prometheus text and OTLP metrics), with both, and with every request traced
(``parentbased_always_on``, the figure of a trace's own cost).

    .venv/bin/python bench/telemetry.py [--seconds 3] [--rounds 6] [--copies 2]
                                        [--connections 8] [--baseline REV] [--ratio 0.01]

Each setting runs in ``--copies`` servers of its own (``gunicorn -c gunicorn.conf.py``, two
workers), all on one Firestore emulator: two servers with the same settings differ by a few
percent (where each process's memory landed), so one server a setting would measure its
process as much as its settings. wrk loads each server in turn, rotating which goes first,
``--rounds`` times; a setting's figure is its servers' CPU over their requests, all rounds
pooled, against the "off" servers' (the ratio), with the lowest and highest of its servers'
own ratios beside it, and the median of each round's ratio to the "off" servers of that round
(the runs nearest in time); "off" against itself (its copies' spread) is the noise floor.
``--baseline REV`` adds servers from a git worktree of REV (the code before traces and
metrics, say), to show that "off" costs what it cost; ``--ratio 0.1`` adds traces and
metrics with the SDK's own sampler drawing that share of the requests
(``parentbased_traceidratio``: no allowance a second, and a span that records nothing for
each request left out). The receiver (scripts/otlp_receiver.py) runs in
this process and counts the exports without decoding them, to take as little CPU as a
collector elsewhere would.
Targets: at most 5% more CPU per request with traces, metrics or both on (every request
traced, and the SDK's own ratio sampler without the default's allowance a second, are
measured, not held to it). Writes bench/results/telemetry.json.
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
FIRST_PORT = 26211  # the servers take the ports from here on, one each (26211-26239)
NOT_HELD = ("baseline", "traces_all", "traces_ratio")  # measured, not held to the target
METRICS_TOKEN = "bench-metrics-token-0123456789abcdef"


def baseline_tree(rev: str) -> Path:
    """A worktree of ``rev`` beside the bench's results (made once, reused)."""
    path = ROOT / ".local" / f"bench-baseline-{rev}"
    if not (path / "gunicorn.conf.py").exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(path), rev], cwd=ROOT, check=True)
    return path


def main() -> int:  # noqa: PLR0915 - one scenario, read top to bottom
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--copies", type=int, default=2, help="servers of each setting")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--baseline", default="", help="a git revision to run beside")
    parser.add_argument(
        "--ratio",
        type=float,
        default=0.0,
        help="also traces and metrics, sampled at this ratio (parentbased_traceidratio)",
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
        configs = settings(otlp, args.ratio)
        made: list[Server] = []
        for copy in range(args.copies):
            for label, extra in configs.items():
                port = FIRST_PORT + len(made)
                made.append(Server(f"telemetry-{label}-{copy}", {**env, **extra}, port=port))
            if args.baseline:
                base = Server(f"telemetry-baseline-{copy}", env, port=FIRST_PORT + len(made))
                base.argv[2] = str(baseline_tree(args.baseline) / "gunicorn.conf.py")
                made.append(base)
        labels = ["baseline", *configs] if args.baseline else list(configs)
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
                scenario: {s.name.removeprefix("telemetry-"): [] for s in running}
                for scenario in scenarios
            }
            for round_no in range(args.rounds):
                for scenario, load in scenarios.items():
                    shift = round_no % len(running)
                    for server in list(running[shift:]) + list(running[:shift]):
                        name = server.name.removeprefix("telemetry-")
                        extra = {k: v for k, v in load.items() if k != "path"}
                        run = wrk(
                            server.url + load["path"],
                            connections=args.connections,
                            seconds=args.seconds,
                            cpu_of=pids[server.name],
                            **extra,
                        )
                        runs[scenario][name].append(run)
                        print(
                            f"round {round_no + 1} {scenario:<8} {name:<17} "
                            f"{run['rps']:>7.1f} req/s  cpu/req {run['cpu_ms_per_request']:.3f} ms"
                            f"  errors {run['socket_errors'] + run['non_2xx']}  "
                            f"load {run['load_after']}",
                            flush=True,
                        )
            scraped = requests.get(
                next(s for s in running if "traces_metrics" in s.name).url + "/metrics",
                headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
                timeout=10,
            )
    finally:
        emulators.stop()
        sink.shutdown()

    out = {
        scenario: figures(by_server, labels, args.copies) for scenario, by_server in runs.items()
    }
    ok = all(
        entry[label]["over_off"] <= 1 + OVERHEAD_MAX and entry[label]["errors"] == 0
        for entry in out.values()
        for label in labels
        if label not in NOT_HELD and label != "off"
    )
    result = {
        "server": "gunicorn -c gunicorn.conf.py: gthread, 2 workers x 8 threads, local profile, "
        "Firestore emulator on loopback; load generator wrk (keep-alive), "
        f"{args.connections} connections",
        "seconds_per_run": args.seconds,
        "rounds": args.rounds,
        "copies": args.copies,
        "settings": labels,
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
        shown = "  ".join(
            f"{label} {entry[label]['cpu_ms_per_request']} ms ({entry[label]['over_off']}x, "
            f"{entry[label]['spread'][0]}-{entry[label]['spread'][1]})"
            for label in labels
        )
        print(f"{scenario}: cpu/req {shown}")
    print(
        f"trace exports received {sink.trace_exports}, metric exports {sink.metric_exports}, "
        f"/metrics {scraped.status_code}; wrote {path}"
    )
    return 0 if ok else 1


def settings(otlp: str, ratio: float) -> dict[str, dict[str, str]]:
    """Each setting's environment, over the servers' common one."""
    traces = {"OTEL_EXPORTER_OTLP_ENDPOINT": otlp, "OTEL_METRICS_EXPORTER": "none"}
    both = {"OTEL_EXPORTER_OTLP_ENDPOINT": otlp, "METRICS_TOKEN": METRICS_TOKEN}
    configs = {
        "off": {},
        "traces_all": {**traces, "OTEL_TRACES_SAMPLER": "parentbased_always_on"},
        "traces": traces,
        "metrics": {**both, "TRACES_EXPORTER": "none"},
        "traces_metrics": both,
    }
    if ratio:
        configs["traces_ratio"] = {
            **both,
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": str(ratio),
        }
    return configs


def pooled(runs: list[dict[str, Any]]) -> float:
    """CPU ms per request over ``runs`` taken together."""
    requests_ = sum(r["requests"] for r in runs)
    cpu = sum(r["cpu_ms_per_request"] * r["requests"] for r in runs)
    return cpu / requests_ if requests_ else float("nan")


def figures(
    by_server: dict[str, list[dict[str, Any]]], labels: list[str], copies: int
) -> dict[str, Any]:
    """Each setting's CPU per request (its servers pooled), its ratio to "off"'s and the
    lowest and highest of its servers' own ratios to it."""
    off = pooled([r for c in range(copies) for r in by_server[f"off-{c}"]])
    rounds = len(by_server["off-0"])
    entry: dict[str, Any] = {}
    for label in labels:
        own = [pooled(by_server[f"{label}-{c}"]) for c in range(copies)]
        every = [r for c in range(copies) for r in by_server[f"{label}-{c}"]]
        # Each round's ratio to the "off" servers of the same round, nearest in time.
        paired = [
            pooled([by_server[f"{label}-{c}"][n] for c in range(copies)])
            / pooled([by_server[f"off-{c}"][n] for c in range(copies)])
            for n in range(rounds)
        ]
        entry[label] = {
            "cpu_ms_per_request": round(pooled(every), 3),
            "over_off": round(pooled(every) / off, 3),
            "spread": [round(min(own) / off, 3), round(max(own) / off, 3)],
            "rounds_median_over_off": round(median(paired), 3),
            "servers_cpu_ms_per_request": [round(x, 3) for x in own],
            "rps": summarize_runs(every)["rps"],
            "errors": sum(r["socket_errors"] + r["non_2xx"] for r in every),
        }
    entry["runs"] = by_server
    return entry


if __name__ == "__main__":
    sys.exit(main())
