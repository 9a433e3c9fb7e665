#!/usr/bin/env python3
"""POST /login throughput against raw argon2id verification; peak memory during 16
concurrent logins.

    .venv/bin/python bench/login.py [--seconds 6] [--rounds 4] [--connections 8]

The service runs under `gunicorn -c gunicorn.conf.py` on the Firestore emulator with the
request limits off (RATE_LIMIT_ENABLED=false: the bench logs in hundreds of times a minute
from one address) and answers successful logins only, for 16 accounts in turn (so the
failed-login throttle never engages). The floor (bench/floors/argon2_floor.py) verifies a
hash with the same argon2id parameters (t=2, m=19456 KiB, p=1) in as many processes as
gunicorn has workers, each with HASH_CONCURRENCY threads. They alternate, `--rounds` times.
Then 16 connections log in at once for `--seconds` while every process of the service
(master and workers) is sampled: peak RSS (and PSS, which counts pages shared after the
fork once). Writes bench/results/login.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

import requests

from _common import (
    BENCH,
    PASSWORD,
    MemorySampler,
    Server,
    cpu_seconds,
    emulator_pid,
    loadavg,
    median,
    mib,
    proc_status,
    service_env,
    start_emulators,
    summarize_runs,
    unique,
    warm_up,
    wipe_firestore,
    write_result,
    wrk,
)

ACCOUNTS = 16


def argon2_floor(processes: int, threads: int, seconds: float) -> dict[str, Any]:
    argv = [
        sys.executable,
        str(BENCH / "floors" / "argon2_floor.py"),
        "--processes",
        str(processes),
        "--threads",
        str(threads),
        "--seconds",
        str(seconds),
    ]
    load_before = loadavg()
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return {**json.loads(out), "load_before": load_before, "load_after": loadavg()}


def main() -> int:  # noqa: PLR0915 - one scenario, read top to bottom
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra service environment (e.g. HASH_CONCURRENCY=1); repeatable",
    )
    parser.add_argument("--name", default="login", help="result file name (experiments)")
    args = parser.parse_args()
    extra = dict(item.split("=", 1) for item in args.env)

    emulators = start_emulators(("firestore",))
    try:
        wipe_firestore(emulators)
        env = service_env(emulators, **{"RATE_LIMIT_ENABLED": "false", **extra})
        workers = int(env.get("WEB_CONCURRENCY", "2"))
        threads = int(env.get("GUNICORN_THREADS", "8"))
        hash_slots = int(env.get("HASH_CONCURRENCY", "2"))
        with Server("login-service", env) as service:
            prefix = unique("login")
            bodies = []
            with requests.Session() as http:
                for n in range(ACCOUNTS):
                    name = f"{prefix}_{n}"
                    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
                    created = http.post(service.url + "/register", json=body, timeout=60)
                    if created.status_code != 201:
                        raise SystemExit(f"register: {created.status_code} {created.text[:300]}")
                    bodies.append(json.dumps({"username": name, "password": PASSWORD}))
            pids = service.wait_workers(workers)
            emulator = emulator_pid(emulators.firestore_port)
            settled = warm_up(
                service.url + "/login",
                emulator,
                connections=args.connections,
                method="POST",
                bodies=bodies,
            )
            service_runs: list[dict[str, Any]] = []
            floor_runs: list[dict[str, Any]] = []
            for round_no in range(args.rounds):
                order = ["service", "floor"] if round_no % 2 == 0 else ["floor", "service"]
                for label in order:
                    if label == "service":
                        emulator_cpu = cpu_seconds([emulator] if emulator else [])
                        run = wrk(
                            service.url + "/login",
                            connections=args.connections,
                            seconds=args.seconds,
                            method="POST",
                            bodies=bodies,
                            cpu_of=[service.pid, *pids],
                        )
                        emulator_cpu = cpu_seconds([emulator] if emulator else []) - emulator_cpu
                        run["emulator_cpu_ms_per_request"] = (
                            round(1000 * emulator_cpu / run["requests"], 3)
                            if run["requests"]
                            else 0
                        )
                        service_runs.append(run)
                        print(
                            f"round {round_no + 1} service {run['rps']:>6.1f} logins/s  p50 "
                            f"{run['p50_ms']} ms  p99 {run['p99_ms']} ms  errors "
                            f"{run['socket_errors'] + run['non_2xx']}  load {run['load_after']}",
                            flush=True,
                        )
                    else:
                        floor = argon2_floor(workers, hash_slots, args.seconds)
                        floor_runs.append(floor)
                        print(
                            f"round {round_no + 1} floor   {floor['per_second']:>6.1f} "
                            f"verifies/s  load {floor['load_after']}",
                            flush=True,
                        )
            # 16 concurrent logins: memory of every process of the service.
            everyone = [service.pid, *pids]
            with MemorySampler(everyone, interval=0.02) as memory:
                burst = wrk(
                    service.url + "/login",
                    connections=16,
                    seconds=args.seconds,
                    method="POST",
                    bodies=bodies,
                )
            hwm = {pid: proc_status(pid)["VmHWM"] for pid in everyone}
    finally:
        emulators.stop()

    svc = summarize_runs(service_runs)
    floor_rate = median([f["per_second"] for f in floor_runs])
    # Paired: each round's service run against the floor run next to it in time.
    pairs = zip(service_runs, floor_runs, strict=True)
    ratio = round(median([s["rps"] / f["per_second"] for s, f in pairs if f["per_second"]]), 3)
    # Load-independent view: CPU per verify (floor) against CPU per login (the service's
    # processes plus the emulator's, which shares this machine's two cores).
    floor_cpu = median([f["cpu_ms_per_verify"] for f in floor_runs])
    emulator_ms = median([r["emulator_cpu_ms_per_request"] for r in service_runs])
    login_cpu = svc["cpu_ms_per_request"] + emulator_ms
    total_peak = memory.peak_total_rss_kib
    worker_peak = max(hwm[pid] for pid in pids)
    met = {
        "login_vs_argon2": ratio >= 0.9,
        "errors": svc["errors"] == 0 and burst["socket_errors"] + burst["non_2xx"] == 0,
        "concurrent_16_total_mib": total_peak <= 512 * 1024,
        "worker_rss_mib": worker_peak <= 150 * 1024,
    }
    result = {
        "server": f"gunicorn -c gunicorn.conf.py: gthread, {workers} workers x {threads} "
        f"threads, HASH_CONCURRENCY={hash_slots}, RATE_LIMIT_ENABLED=false, Firestore emulator",
        "connections": args.connections,
        "seconds_per_run": args.seconds,
        "service": svc,
        "service_runs": service_runs,
        "floor": {
            "what": f"argon2-cffi verify t=2 m=19456 p=1, {workers} processes x "
            f"{hash_slots} threads",
            "per_second": floor_rate,
            "runs": floor_runs,
        },
        "ratio": ratio,
        "cpu": {
            "floor_ms_per_verify": floor_cpu,
            "service_ms_per_login": svc["cpu_ms_per_request"],
            "emulator_ms_per_login": emulator_ms,
            "ratio_floor_over_login": round(floor_cpu / login_cpu, 3) if login_cpu else 0.0,
            "ratio_floor_over_service_only": (
                round(floor_cpu / svc["cpu_ms_per_request"], 3)
                if svc["cpu_ms_per_request"]
                else 0.0
            ),
        },
        "concurrent_16": {
            "logins_per_second": burst["rps"],
            "p50_ms": burst["p50_ms"],
            "p99_ms": burst["p99_ms"],
            "errors": burst["socket_errors"] + burst["non_2xx"],
            "peak_total_rss_mib": mib(total_peak),
            "peak_total_pss_mib": mib(memory.peak_total_pss_kib),
            "peak_rss_per_process_mib": {str(p): mib(k) for p, k in memory.peak_rss_kib.items()},
            "vmhwm_per_process_mib": {str(p): mib(k) for p, k in hwm.items()},
            "master_pid": everyone[0],
            "load_after": burst["load_after"],
        },
        "max_worker_peak_rss_mib": mib(worker_peak),
        "targets": {"ratio_min": 0.9, "concurrent_16_total_mib_max": 512, "worker_mib_max": 150},
        "met_detail": met,
        "met": all(met.values()),
    }
    result["extra_env"] = extra
    result["warmup_emulator_cpu_ms_per_login"] = settled
    path = write_result(args.name, result)
    print(
        f"login {svc['rps']} /s vs argon2 {floor_rate} /s: ratio {ratio}; 16 concurrent: peak "
        f"{mib(total_peak)} MiB RSS ({mib(memory.peak_total_pss_kib)} MiB PSS) in all "
        f"processes; wrote {path}"
    )
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
