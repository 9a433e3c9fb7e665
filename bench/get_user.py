#!/usr/bin/env python3
"""GET /user (JWT verify + one Firestore get_all) against its floors, at 1, 8 and 32
concurrent connections; server CPU per request; peak RSS per worker under that load.

    .venv/bin/python bench/get_user.py [--seconds 5] [--rounds 5] [--connections 1,8,32]

The service and two floors run under `gunicorn -c gunicorn.conf.py` with the same settings,
on the same Firestore emulator, at the same time: bench/floors/floor_app.py (a bare Flask
route decoding the same JWT and doing the same get_all) and bench/floors/wsgi_floor.py (the
same work as a raw WSGI callable, no Flask). wrk measures them in turn, rotating which goes
first, `--rounds` times; figures are medians, and ratios are the median of each round's
paired ratios. The service's CPU per request (all its processes' CPU time over the requests
served) has its own target: 1.0 ms at 8 connections. Writes bench/results/get_user.json.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from _common import (
    BENCH,
    MemorySampler,
    Server,
    emulator_pid,
    loadavg,
    median,
    mib,
    proc_status,
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

CPU_MS_PER_REQUEST_MAX = 1.0  # the service's, at 8 connections


def main() -> int:  # noqa: PLR0915 - one scenario, read top to bottom
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", default="1,8,32")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for both servers (e.g. WEB_CONCURRENCY=3); repeatable",
    )
    parser.add_argument("--name", default="get_user", help="result file name (experiments)")
    args = parser.parse_args()
    extra = dict(item.split("=", 1) for item in args.env)
    levels = [int(x) for x in args.connections.split(",")]

    emulators = start_emulators(("firestore",))
    try:
        wipe_firestore(emulators)
        # As in production: the request limiter on (it exempts /user, but runs per request).
        env = service_env(emulators, **{"RATE_LIMIT_ENABLED": "true", **extra})
        workers = int(env.get("WEB_CONCURRENCY", "2"))
        threads = int(env.get("GUNICORN_THREADS", "8"))
        service = Server("get_user-service", env)
        floor = Server("get_user-floor", env, app="floor_app:app", extra_path=BENCH / "floors")
        raw = Server("get_user-wsgi", env, app="wsgi_floor:app", extra_path=BENCH / "floors")
        with servers(service, floor, raw):
            tokens = register_and_login(service.url, unique("benchuser"))
            token = tokens["access_token"]
            service_pids = service.wait_workers(workers)
            emulator = emulator_pid(emulators.firestore_port)
            warmup = warm_up(service.url + "/user", emulator, connections=8, token=token)
            for other in (floor, raw):  # their connections
                wrk(other.url + "/user", connections=8, seconds=4, token=token)
            runs: dict[str, dict[int, list[dict[str, Any]]]] = {
                label: {c: [] for c in levels} for label in ("service", "floor", "wsgi_floor")
            }
            with MemorySampler([service.pid, *service_pids]) as memory:
                for round_no in range(args.rounds):
                    for connections in levels:
                        trio = [("service", service), ("floor", floor), ("wsgi_floor", raw)]
                        shift = round_no % len(trio)
                        for label, server in trio[shift:] + trio[:shift]:
                            run = wrk(
                                server.url + "/user",
                                connections=connections,
                                seconds=args.seconds,
                                token=token,
                                cpu_of=[server.pid, *server.workers()],
                            )
                            runs[label][connections].append(run)
                            print(
                                f"round {round_no + 1} c={connections:<3} {label:<10} "
                                f"{run['rps']:>7.1f} req/s  p50 {run['p50_ms']:>6.2f} ms  "
                                f"p99 {run['p99_ms']:>6.2f} ms  cpu/req "
                                f"{run['cpu_ms_per_request']:.3f} ms  errors "
                                f"{run['socket_errors'] + run['non_2xx']}  "
                                f"load {run['load_after']}",
                                flush=True,
                            )
            peaks = {pid: proc_status(pid)["VmHWM"] for pid in service_pids}
            sampled = {pid: memory.peak_rss_kib.get(pid, 0) for pid in service_pids}
    finally:
        emulators.stop()

    levels_out = []
    ok = True
    for connections in levels:
        svc = summarize_runs(runs["service"][connections])
        flr = summarize_runs(runs["floor"][connections])
        bare = summarize_runs(runs["wsgi_floor"][connections])

        def paired(floor_label: str, key: str, c: int = connections) -> float:
            # Each round's service run against the floor run next to it in time, then the
            # median of those ratios (the machine's other load drifts between rounds).
            pairs = zip(runs["service"][c], runs[floor_label][c], strict=True)
            return round(median([s[key] / f[key] for s, f in pairs if f[key]]), 3)

        tail = round(svc["p99_ms"] / svc["p50_ms"], 2) if svc["p50_ms"] else 0.0
        entry = {
            "connections": connections,
            "service": svc,
            "floor": flr,
            "wsgi_floor": bare,
            "ratio_rps": paired("floor", "rps"),
            "ratio_rps_wsgi_floor": paired("wsgi_floor", "rps"),
            "ratio_of_medians_rps": round(svc["rps"] / flr["rps"], 3) if flr["rps"] else 0.0,
            "ratio_cpu_per_request": paired("floor", "cpu_ms_per_request"),
            "ratio_cpu_per_request_wsgi_floor": paired("wsgi_floor", "cpu_ms_per_request"),
            "service_p99_over_p50": tail,
            "floor_p99_over_p50": (
                round(flr["p99_ms"] / flr["p50_ms"], 2) if flr["p50_ms"] else 0.0
            ),
            "runs": {label: runs[label][connections] for label in runs},
        }
        levels_out.append(entry)
        ok &= entry["ratio_rps"] >= 0.9 and svc["errors"] == 0
        if connections == 8:
            ok &= tail <= 3.0 and svc["cpu_ms_per_request"] <= CPU_MS_PER_REQUEST_MAX
    worker_peak = max(peaks.values(), default=0)
    ok &= worker_peak <= 150 * 1024
    result = {
        "server": f"gunicorn -c gunicorn.conf.py: gthread, {workers} workers x {threads} threads, "
        "local profile, Firestore emulator on loopback; load generator wrk (keep-alive)",
        "seconds_per_run": args.seconds,
        "rounds": args.rounds,
        "levels": levels_out,
        "worker_peak_rss_mib": {str(pid): mib(kib) for pid, kib in peaks.items()},
        "worker_peak_rss_sampled_mib": {str(pid): mib(kib) for pid, kib in sampled.items()},
        "max_worker_peak_rss_mib": mib(worker_peak),
        "targets": {
            "ratio_rps_min": 0.9,
            "p99_over_p50_max_at_8": 3.0,
            "cpu_ms_per_request_max_at_8": CPU_MS_PER_REQUEST_MAX,
            "worker_rss_mib_max": 150,
        },
        "met": ok,
        "load_at_end": loadavg(),
    }
    result["extra_env"] = extra
    result["warmup_emulator_cpu_ms_per_request"] = warmup
    path = write_result(args.name, result)
    for entry in levels_out:
        print(
            f"c={entry['connections']:<3} service {entry['service']['rps']:>7.1f} req/s "
            f"(p50 {entry['service']['p50_ms']} ms, p99 {entry['service']['p99_ms']} ms)  floor "
            f"{entry['floor']['rps']:>7.1f} req/s  ratio {entry['ratio_rps']}  wsgi floor "
            f"{entry['wsgi_floor']['rps']:>7.1f} req/s  ratio {entry['ratio_rps_wsgi_floor']}  "
            f"cpu/req {entry['service']['cpu_ms_per_request']} ms (flask floor "
            f"{entry['floor']['cpu_ms_per_request']}, wsgi floor "
            f"{entry['wsgi_floor']['cpu_ms_per_request']})"
        )
    print(f"worker peak RSS {mib(worker_peak)} MiB; wrote {path}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
