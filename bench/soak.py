#!/usr/bin/env python3
"""Load soak (not part of `make bench`, not in CI): mixed traffic at a steady rate against
the service under gunicorn on the Firestore emulator, for `--minutes`; zero errors and
memory growth under 10% are the targets.

    .venv/bin/python bench/soak.py [--minutes 10] [--rate 50] [--users 24]
    make soak MINUTES=10

Traffic (loopback only), per virtual user, in proportions: GET /user 45%, tasks CRUD 40%
(create, list, get, patch, delete; each user keeps at most 30 tasks), POST /auth/refresh
10% (the refresh token is rotated: each user owns its tokens), POST /login 5%. Requests
follow a fixed schedule (`--rate` per second in all, spread over 8 client threads), and a
thread that falls behind does not burst to catch up. Every loop is bounded by the deadline
and stops by itself.

The service runs on a Firestore emulator of its own (127.0.0.1:47182).

Memory: the RSS of every process of the service (master and workers) is sampled every 5 s;
growth = (mean of the last minute - mean of the second minute) / mean of the second minute
(the first minute is warm-up: connections, caches, argon2 memory). Writes
bench/results/soak.json (a run shorter than 10 minutes writes soak-short.json).
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import sys
import threading
import time
from typing import Any

import requests

from _common import (
    PASSWORD,
    Server,
    loadavg,
    median,
    mib,
    percentile,
    proc_pss,
    proc_status,
    service_env,
    start_emulators,
    unique,
    wipe_firestore,
    write_result,
)

THREADS = 8
SOAK_FIRESTORE_PORT = 47182
MAX_TASKS = 30
MIX = [("get_user", 45), ("tasks", 40), ("refresh", 10), ("login", 5)]
# Request limits stay on (their per-request cost is part of the service) but high enough for
# one client address sending everyone's logins.
SOAK_LIMITS = {
    "RATE_LIMIT_REGISTER": "100000/minute",
    "RATE_LIMIT_LOGIN": "100000/minute",
    "RATE_LIMIT_REFRESH": "100000/minute",
    "RATE_LIMIT_FIREBASE": "100000/minute",
}


class VirtualUser:
    def __init__(self, url: str, name: str) -> None:
        self.url, self.name = url, name
        self.http = requests.Session()
        self.access = ""
        self.refresh = ""
        self.tasks: list[str] = []

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}

    def take_tokens(self, body: dict[str, Any]) -> None:
        self.access = body["access_token"]
        self.refresh = body["refresh_token"]


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = collections.defaultdict(list)
        self.errors: list[dict[str, Any]] = []
        self.error_count = 0
        self.requests = 0

    def record(self, op: str, seconds: float, ok: bool, detail: str = "") -> None:
        with self.lock:
            self.requests += 1
            self.latency[op].append(seconds)
            if not ok:
                self.error_count += 1
                if len(self.errors) < 20:
                    self.errors.append({"op": op, "detail": detail[:300], "at": time.time()})


def call(
    stats: Stats, op: str, user: VirtualUser, method: str, path: str, *, expect: int, **kw: Any
) -> requests.Response | None:
    started = time.perf_counter()
    try:
        answer = user.http.request(method, user.url + path, timeout=30, **kw)
    except requests.RequestException as exc:
        stats.record(op, time.perf_counter() - started, False, f"{type(exc).__name__}: {exc}")
        return None
    ok = answer.status_code == expect
    stats.record(op, time.perf_counter() - started, ok, f"{answer.status_code} {answer.text[:200]}")
    return answer if ok else None


def task_step(stats: Stats, user: VirtualUser, rng: random.Random) -> None:
    roll = rng.random()
    if not user.tasks or (roll < 0.3 and len(user.tasks) < MAX_TASKS):
        body = {"title": f"soak {rng.randrange(10**6)}", "description": "soak test"}
        answer = call(
            stats, "task_create", user, "POST", "/tasks", expect=201, json=body, headers=user.auth()
        )
        if answer is not None:
            user.tasks.append(answer.json()["id"])
    elif roll < 0.55:
        call(stats, "task_list", user, "GET", "/tasks?limit=20", expect=200, headers=user.auth())
    elif roll < 0.75:
        task = rng.choice(user.tasks)
        call(stats, "task_get", user, "GET", f"/tasks/{task}", expect=200, headers=user.auth())
    elif roll < 0.9 or len(user.tasks) < MAX_TASKS // 2:
        task = rng.choice(user.tasks)
        call(
            stats,
            "task_patch",
            user,
            "PATCH",
            f"/tasks/{task}",
            expect=200,
            json={"done": rng.random() < 0.5},
            headers=user.auth(),
        )
    else:
        task = user.tasks.pop(rng.randrange(len(user.tasks)))
        call(
            stats, "task_delete", user, "DELETE", f"/tasks/{task}", expect=204, headers=user.auth()
        )


def step(stats: Stats, user: VirtualUser, rng: random.Random) -> None:
    op = rng.choices([name for name, _ in MIX], weights=[w for _, w in MIX])[0]
    if op == "get_user":
        call(stats, "get_user", user, "GET", "/user", expect=200, headers=user.auth())
    elif op == "tasks":
        task_step(stats, user, rng)
    elif op == "refresh":
        answer = call(
            stats,
            "refresh",
            user,
            "POST",
            "/auth/refresh",
            expect=200,
            json={"refresh_token": user.refresh},
        )
        if answer is not None:
            user.take_tokens(answer.json())
    else:
        answer = call(
            stats,
            "login",
            user,
            "POST",
            "/login",
            expect=200,
            json={"username": user.name, "password": PASSWORD},
        )
        if answer is not None:
            user.take_tokens(answer.json())


def drive(stats: Stats, users: list[VirtualUser], rate: float, deadline: float, seed: int) -> None:
    """One client thread: its users in turn, one request every 1/rate s, until deadline."""
    rng = random.Random(seed)
    interval = 1 / rate
    next_at = time.monotonic() + rng.uniform(0, interval)
    turn = 0
    while True:
        now = time.monotonic()
        if now >= deadline:
            return
        if next_at > now:
            time.sleep(min(next_at - now, deadline - now))
            continue
        step(stats, users[turn % len(users)], rng)
        turn += 1
        # Behind schedule: skip the missed slots instead of bursting.
        next_at = max(next_at + interval, time.monotonic())


def main() -> int:  # noqa: PLR0915 - one scenario, read top to bottom
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=50, help="requests per second in all")
    parser.add_argument("--users", type=int, default=24)
    parser.add_argument("--sample-seconds", type=float, default=5)
    args = parser.parse_args()
    if args.minutes < 2:
        raise SystemExit("--minutes: at least 2 (the first minute is warm-up)")

    # An emulator of its own, so that `make bench` next to it cannot wipe the soak's data.
    os.environ["FIRESTORE_EMULATOR_HOST"] = f"127.0.0.1:{SOAK_FIRESTORE_PORT}"
    emulators = start_emulators(("firestore",))
    stats = Stats()
    memory: list[dict[str, Any]] = []
    try:
        wipe_firestore(emulators)
        env = service_env(emulators, RATE_LIMIT_ENABLED="true", LOG_LEVEL="INFO", **SOAK_LIMITS)
        workers = int(env.get("WEB_CONCURRENCY", "2"))
        with Server("soak-service", env) as service:
            pids = service.wait_workers(workers)
            everyone = [service.pid, *pids]
            prefix = unique("soak")
            users = [VirtualUser(service.url, f"{prefix}_{n}") for n in range(args.users)]
            for user in users:
                body = {
                    "username": user.name,
                    "email": f"{user.name}@example.com",
                    "password": PASSWORD,
                }
                user.http.post(service.url + "/register", json=body, timeout=60).raise_for_status()
                login = user.http.post(
                    service.url + "/login",
                    timeout=60,
                    json={"username": user.name, "password": PASSWORD},
                )
                login.raise_for_status()
                user.take_tokens(login.json())
            started = time.monotonic()
            deadline = started + args.minutes * 60
            threads = [
                threading.Thread(
                    target=drive,
                    args=(stats, users[n::THREADS], args.rate / THREADS, deadline, n),
                    name=f"soak-{n}",
                )
                for n in range(THREADS)
            ]
            for thread in threads:
                thread.start()
            while time.monotonic() < deadline:
                rss = {pid: proc_status(pid)["VmRSS"] for pid in everyone}
                memory.append(
                    {
                        "t": round(time.monotonic() - started, 1),
                        "total_rss_kib": sum(rss.values()),
                        "total_pss_kib": sum(proc_pss(pid) for pid in everyone),
                        "rss_kib": {str(pid): kib for pid, kib in rss.items()},
                        "requests": stats.requests,
                        "errors": stats.error_count,
                        "load": loadavg(),
                    }
                )
                last = memory[-1]
                if len(memory) % 12 == 1:
                    print(
                        f"t={last['t']:>5.0f}s requests {last['requests']:>6} errors "
                        f"{last['errors']} total RSS {mib(last['total_rss_kib'])} MiB load "
                        f"{last['load']}",
                        flush=True,
                    )
                time.sleep(min(args.sample_seconds, max(0.0, deadline - time.monotonic())))
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
            alive = all(proc_status(pid)["VmRSS"] > 0 for pid in everyone)
            hwm = {str(pid): mib(proc_status(pid)["VmHWM"]) for pid in everyone}
            for user in users:
                user.http.close()
    finally:
        emulators.stop()

    def mean_rss(t_from: float, t_to: float) -> float:
        values = [m["total_rss_kib"] for m in memory if t_from <= m["t"] < t_to]
        return sum(values) / len(values) if values else float("nan")

    second_minute = mean_rss(60, 120)
    last_minute = mean_rss(args.minutes * 60 - 60, args.minutes * 60 + 1)
    growth = (last_minute - second_minute) / second_minute
    per_op = {
        op: {
            "count": len(values),
            "p50_ms": round(median(values) * 1000, 2),
            "p99_ms": round(percentile(values, 99) * 1000, 2),
        }
        for op, values in sorted(stats.latency.items())
    }
    met = stats.error_count == 0 and growth < 0.10 and alive
    result = {
        "server": f"gunicorn -c gunicorn.conf.py: gthread {workers} workers, request limits on "
        "(raised for one client address), LOG_LEVEL=INFO, Firestore emulator",
        "minutes": args.minutes,
        "target_rate_per_second": args.rate,
        "achieved_rate_per_second": round(stats.requests / elapsed, 1),
        "virtual_users": args.users,
        "requests": stats.requests,
        "errors": stats.error_count,
        "first_errors": stats.errors,
        "operations": per_op,
        "memory": {
            "second_minute_mean_total_rss_mib": mib(second_minute),
            "last_minute_mean_total_rss_mib": mib(last_minute),
            "growth": round(growth, 4),
            "peak_vmhwm_mib": hwm,
            "timeline": [
                {
                    "t": m["t"],
                    "total_rss_mib": mib(m["total_rss_kib"]),
                    "total_pss_mib": mib(m["total_pss_kib"]),
                    "requests": m["requests"],
                    "errors": m["errors"],
                    "load": m["load"],
                }
                for m in memory[::6]
            ],
        },
        "service_processes_alive_at_end": alive,
        "targets": {"errors": 0, "memory_growth_max": 0.10},
        "met": met,
    }
    name = "soak" if args.minutes >= 10 else "soak-short"
    path = write_result(name, result)
    print(
        f"soak {args.minutes} min: {stats.requests} requests "
        f"({result['achieved_rate_per_second']}/s), {stats.error_count} errors, memory growth "
        f"{growth:.1%} ({mib(second_minute)} -> {mib(last_minute)} MiB); wrote {path}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
