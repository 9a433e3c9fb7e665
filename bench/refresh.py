#!/usr/bin/env python3
"""POST /auth/refresh: service CPU per refresh as a session ages, against GET /healthz.

    .venv/bin/python bench/refresh.py [--sessions 5] [--rotations 1000] [--sample 50]
        [--load-sessions 600] [--connections 8] [--name refresh]

The service runs under `gunicorn -c gunicorn.conf.py` on the Firestore emulator (the bench's
ports, or FIRESTORE_EMULATOR_HOST when set), request limits off. One client on one
kept-alive connection refreshes sessions one request after another, each with the token the
previous answer gave, and reads the service's CPU time (master and workers, from their
CPU-time clocks) around every request:

- ``first_ten``: rotations 1-10 of ``--sessions`` new sessions;
- ``aged``: one session rotated ``--rotations`` times, then ``--sample`` more rotations
  timed (the blocks of 100 on the way are kept too, to show any growth);
- ``floor``: GET /healthz the same way, before and after (a request that reads nothing).

Figures are per-request medians (and means) of service CPU in ms, and in floors. Then under
load: wrk sends ``--connections`` connections, each refresh token once (``--load-sessions``
new sessions; their rate by Little's law, connections over the mean latency, as wrk's
own counts the run's whole length), then GET /healthz, CPU per request of both. Targets: a refresh
costs at most 3 floors, and the aged session's within 10 % of the first ten's. Writes
bench/results/<name>.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from _common import (
    PASSWORD,
    Server,
    cpu_seconds,
    emulator_pid,
    loadavg,
    median,
    register_and_login,
    service_env,
    start_emulators,
    unique,
    warm_up,
    wipe_firestore,
    write_result,
    wrk,
)

FLOORS_MAX = 3.0  # a refresh's CPU, in GET /healthz's
GROWTH_MAX = 1.10  # the aged session's CPU per refresh over the first ten's


def summary(samples_ms: Sequence[float]) -> dict[str, Any]:
    return {
        "n": len(samples_ms),
        "median_ms": round(median(samples_ms), 3),
        "mean_ms": round(statistics.fmean(samples_ms), 3) if samples_ms else 0.0,
        "p90_ms": round(sorted(samples_ms)[int(0.9 * (len(samples_ms) - 1))], 3),
    }


class Client:
    """One kept-alive connection; the service's CPU read around each request."""

    def __init__(self, url: str, pids: Sequence[int]) -> None:
        self.url, self.pids = url, list(pids)
        self.http = requests.Session()

    def timed(self, call: Callable[[], requests.Response]) -> tuple[requests.Response, float]:
        before = cpu_seconds(self.pids)
        answer = call()
        # The worker finishes its request (its log line) just after the answer arrives.
        time.sleep(0.002)
        return answer, 1000 * (cpu_seconds(self.pids) - before)

    def refresh(self, token: str) -> tuple[str, float]:
        answer, cpu_ms = self.timed(
            lambda: self.http.post(
                self.url + "/auth/refresh", json={"refresh_token": token}, timeout=60
            )
        )
        if answer.status_code != 200:
            raise RuntimeError(f"refresh: {answer.status_code} {answer.text[:300]}")
        refreshed: str = answer.json()["refresh_token"]
        return refreshed, cpu_ms

    def healthz(self, count: int) -> list[float]:
        out = []
        for _ in range(count):
            answer, cpu_ms = self.timed(lambda: self.http.get(self.url + "/healthz", timeout=60))
            if answer.status_code != 200:
                raise RuntimeError(f"healthz: {answer.status_code}")
            out.append(cpu_ms)
        return out

    def login(self, name: str) -> str:
        body = {"username": name, "password": PASSWORD}
        answer = self.http.post(self.url + "/login", json=body, timeout=60)
        if answer.status_code != 200:
            raise RuntimeError(f"login: {answer.status_code} {answer.text[:300]}")
        token: str = answer.json()["refresh_token"]
        return token


def main() -> int:  # noqa: PLR0915 - one scenario, read top to bottom
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sessions", type=int, default=5)
    parser.add_argument("--rotations", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=50)
    parser.add_argument("--load-sessions", type=int, default=600)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5, help="the floor's load run")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--name", default="refresh", help="result file name (experiments)")
    args = parser.parse_args()
    extra = dict(item.split("=", 1) for item in args.env)

    emulators = start_emulators(("firestore",))
    try:
        wipe_firestore(emulators)
        env = service_env(emulators, **{"RATE_LIMIT_ENABLED": "false", **extra})
        workers = int(env.get("WEB_CONCURRENCY", "2"))
        with Server("refresh-service", env) as service:
            name = unique("refresh")
            first = register_and_login(service.url, name)
            pids = [service.pid, *service.wait_workers(workers)]
            client = Client(service.url, pids)
            emulator = emulator_pid(emulators.firestore_port)
            warm_up(service.url + "/healthz", emulator, chunks=3, connections=8)
            token = first["refresh_token"]
            for _ in range(300):  # the emulator's JIT and the workers' first calls
                token, _cpu = client.refresh(token)

            floor_before = client.healthz(100)
            first_ten: list[float] = []
            for _ in range(args.sessions):
                token = client.login(name)
                for _ in range(10):
                    token, cpu_ms = client.refresh(token)
                    first_ten.append(cpu_ms)
            token = client.login(name)
            blocks: list[dict[str, Any]] = []
            block: list[float] = []
            for rotation in range(1, args.rotations + 1):
                token, cpu_ms = client.refresh(token)
                block.append(cpu_ms)
                if rotation % 100 == 0:
                    blocks.append({"rotations": rotation, **summary(block)})
                    print(f"rotations {rotation}: {blocks[-1]}", flush=True)
                    block = []
            aged: list[float] = []
            for _ in range(args.sample):
                token, cpu_ms = client.refresh(token)
                aged.append(cpu_ms)
            floor_after = client.healthz(100)

            # Under load: each refresh token once, then GET /healthz as long.
            with ThreadPoolExecutor(4) as pool:
                tokens = list(
                    pool.map(
                        lambda _: Client(service.url, pids).login(name), range(args.load_sessions)
                    )
                )
            bodies = [json.dumps({"refresh_token": t}) for t in tokens]
            load_refresh = wrk(
                service.url + "/auth/refresh",
                connections=args.connections,
                seconds=10,  # more than the tokens last: each thread stops when its share is
                method="POST",
                bodies=bodies,
                once=True,
                cpu_of=pids,
            )
            # wrk's requests/s counts the whole run; the refreshes' own rate, by Little's law:
            load_refresh["refreshes_per_second"] = round(
                args.connections * 1000 / load_refresh["mean_ms"], 1
            )
            load_floor = wrk(
                service.url + "/healthz",
                connections=args.connections,
                seconds=args.seconds,
                cpu_of=pids,
            )
    finally:
        emulators.stop()

    floor = summary(floor_before + floor_after)
    one = floor["median_ms"]
    young, old = summary(first_ten), summary(aged)
    growth = round(old["median_ms"] / young["median_ms"], 3) if young["median_ms"] else 0.0
    load_floors = (
        round(load_refresh["cpu_ms_per_request"] / load_floor["cpu_ms_per_request"], 2)
        if load_floor["cpu_ms_per_request"]
        else 0.0
    )
    met = {
        "first_ten_within_floors": young["median_ms"] <= FLOORS_MAX * one,
        "aged_within_floors": old["median_ms"] <= FLOORS_MAX * one,
        "flat": growth <= GROWTH_MAX,
        "load_errors": load_refresh["non_2xx"] + load_refresh["socket_errors"] == 0,
    }
    result = {
        "server": f"gunicorn -c gunicorn.conf.py: gthread, {workers} workers, local profile, "
        "RATE_LIMIT_ENABLED=false, Firestore emulator on loopback; one kept-alive client",
        "floor": {**floor, "before": summary(floor_before), "after": summary(floor_after)},
        "first_ten": {**young, "floors": round(young["median_ms"] / one, 2)},
        "aged": {
            **old,
            "after_rotations": args.rotations,
            "floors": round(old["median_ms"] / one, 2),
        },
        "aged_over_first_ten": growth,
        "blocks": blocks,
        "load": {
            "refresh": load_refresh,
            "floor": load_floor,
            "floors": load_floors,
        },
        "targets": {"floors_max": FLOORS_MAX, "aged_over_first_ten_max": GROWTH_MAX},
        "met_detail": met,
        "met": all(met.values()),
        "extra_env": extra,
        "load_at_end": loadavg(),
    }
    path = write_result(args.name, result)
    print(
        f"floor (GET /healthz) {one} ms; refresh, rotations 1-10: {young['median_ms']} ms "
        f"({result['first_ten']['floors']} floors); after {args.rotations}: "
        f"{old['median_ms']} ms ({result['aged']['floors']} floors; x{growth}); under load "
        f"(c={args.connections}): {load_refresh['cpu_ms_per_request']} ms vs "
        f"{load_floor['cpu_ms_per_request']} ms ({load_floors} floors), "
        f"{load_refresh['refreshes_per_second']} refreshes/s; wrote {path}"
    )
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
