#!/usr/bin/env python3
"""Which gunicorn settings: WEB_CONCURRENCY x GUNICORN_THREADS, measured (not part of
`make bench`; its result documents the choice in gunicorn.conf.py and
docs/decisions/0001-gunicorn-workers-and-threads.md).

    .venv/bin/python bench/_settings.py [--configs 1x8,2x4,2x8,3x4] [--rounds 2]

For each configuration, in turn and `--rounds` times: GET /user with wrk at 8 and 32
connections, POST /login at 8 connections (16 accounts, limits off), then 16 concurrent
logins while every process's memory is sampled. Writes bench/results/gunicorn_settings.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import requests

from _common import (
    PASSWORD,
    MemorySampler,
    Server,
    loadavg,
    median,
    mib,
    proc_status,
    register_and_login,
    service_env,
    start_emulators,
    unique,
    wipe_firestore,
    write_result,
    wrk,
)


def measure(emulators: Any, workers: int, threads: int, seconds: float) -> dict[str, Any]:
    env = service_env(
        emulators,
        RATE_LIMIT_ENABLED="false",
        WEB_CONCURRENCY=str(workers),
        GUNICORN_THREADS=str(threads),
    )
    with Server(f"settings-{workers}x{threads}", env) as service:
        pids = service.wait_workers(workers)
        token = register_and_login(service.url, unique("set"))["access_token"]
        prefix = unique("setlogin")
        bodies = []
        with requests.Session() as http:
            for n in range(16):
                name = f"{prefix}_{n}"
                http.post(
                    service.url + "/register",
                    timeout=60,
                    json={
                        "username": name,
                        "email": f"{name}@example.com",
                        "password": PASSWORD,
                    },
                ).raise_for_status()
                bodies.append(json.dumps({"username": name, "password": PASSWORD}))
        wrk(service.url + "/user", connections=8, seconds=2, token=token)  # warm-up
        out: dict[str, Any] = {}
        for connections in (8, 32):
            run = wrk(
                service.url + "/user",
                connections=connections,
                seconds=seconds,
                token=token,
                cpu_of=[service.pid, *pids],
            )
            out[f"get_user_c{connections}"] = run
        out["login_c8"] = wrk(
            service.url + "/login", connections=8, seconds=seconds, method="POST", bodies=bodies
        )
        with MemorySampler([service.pid, *pids], interval=0.02) as memory:
            out["login_c16"] = wrk(
                service.url + "/login",
                connections=16,
                seconds=seconds,
                method="POST",
                bodies=bodies,
            )
        out["peak_total_rss_mib"] = mib(memory.peak_total_rss_kib)
        out["max_worker_vmhwm_mib"] = mib(max(proc_status(pid)["VmHWM"] for pid in pids))
        out["load_after"] = loadavg()
        return out


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--configs", default="1x8,2x4,2x8,3x4")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=6)
    args = parser.parse_args()
    configs = [tuple(int(x) for x in c.split("x")) for c in args.configs.split(",")]
    emulators = start_emulators(("firestore",))
    runs: dict[str, list[dict[str, Any]]] = {f"{w}x{t}": [] for w, t in configs}
    try:
        for round_no in range(args.rounds):
            order = configs if round_no % 2 == 0 else list(reversed(configs))
            for workers, threads in order:
                wipe_firestore(emulators)
                result = measure(emulators, workers, threads, args.seconds)
                runs[f"{workers}x{threads}"].append(result)
                print(
                    f"{workers}x{threads}: GET /user c8 {result['get_user_c8']['rps']} req/s "
                    f"(p99/p50 {result['get_user_c8']['p99_ms']}/{result['get_user_c8']['p50_ms']})"
                    f", c32 {result['get_user_c32']['rps']} req/s; login c8 "
                    f"{result['login_c8']['rps']}/s; 16 logins: {result['peak_total_rss_mib']} "
                    f"MiB total, worker peak {result['max_worker_vmhwm_mib']} MiB; load "
                    f"{result['load_after']}",
                    flush=True,
                )
    finally:
        emulators.stop()
    summary = {
        name: {
            "get_user_c8_rps": median([r["get_user_c8"]["rps"] for r in results]),
            "get_user_c8_p50_ms": median([r["get_user_c8"]["p50_ms"] for r in results]),
            "get_user_c8_p99_ms": median([r["get_user_c8"]["p99_ms"] for r in results]),
            "get_user_c32_rps": median([r["get_user_c32"]["rps"] for r in results]),
            "get_user_c32_p99_ms": median([r["get_user_c32"]["p99_ms"] for r in results]),
            "login_c8_per_s": median([r["login_c8"]["rps"] for r in results]),
            "login_c16_p99_ms": median([r["login_c16"]["p99_ms"] for r in results]),
            "peak_total_rss_mib": max(r["peak_total_rss_mib"] for r in results),
            "max_worker_vmhwm_mib": max(r["max_worker_vmhwm_mib"] for r in results),
        }
        for name, results in runs.items()
    }
    path = write_result("gunicorn_settings", {"summary": summary, "runs": runs})
    for name, figures in summary.items():
        print(name, json.dumps(figures))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
