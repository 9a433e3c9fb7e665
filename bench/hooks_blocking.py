#!/usr/bin/env python3
"""Whether slow ``before_sign_up`` calls hold up other requests: ``GET /user`` during 30
parallel sign-ups whose hook answers after 1 s, against the same reads without them.

    .venv/bin/python bench/hooks_blocking.py [--rounds 5] [--reads 20] [--delay 1.0]
        [--name hooks_blocking]

One service under `gunicorn -c gunicorn.conf.py` (request limits off) on the Firestore
emulator, with a ``before_sign_up`` hook (``timeout_ms`` 5,000) at a receiver in this process
that answers ``{"decision": "allow"}`` after ``--delay`` seconds. Each round: ``--reads``
sequential ``GET /user`` with one account's token on a kept-alive connection (quiet), then
30 ``POST /register`` at once, each on its own connection, and ``GET /user`` the same way
for as long as any of them is unanswered (during). Latencies are pooled over the rounds.
``--delay 0.005 --name hooks_blocking_control`` is the control: the same sign-ups' own work
(argon2id hashes, commits) with a hook that answers at once.

Writes bench/results/hooks_blocking.json (docs/benchmarks.md, "Auth hooks").
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time

import requests

from _common import (
    PASSWORD,
    Server,
    latency_summary,
    loadavg,
    percentile,
    register_and_login,
    service_env,
    start_emulators,
    unique,
    wipe_firestore,
    write_result,
)
from hooks import admin_headers, receiver

SIGN_UPS = 30  # at once, as the issue names them
# Each worker keeps its copy of the hooks for WEBHOOK_CACHE_TTL (5 s by default,
# docs/configuration.md): the reads start after it, when every worker calls the new hook.
HOOKS_SEEN_AFTER = 5.5


def read(http: requests.Session, url: str, token: str) -> float:
    started = time.perf_counter()
    answer = http.get(url + "/user", headers={"Authorization": f"Bearer {token}"}, timeout=60)
    took = time.perf_counter() - started
    if answer.status_code != 200:
        raise RuntimeError(f"GET /user: {answer.status_code} {answer.text[:200]}")
    return took


def sign_up(url: str, name: str, took: list[float], failed: list[str]) -> None:
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    started = time.perf_counter()
    answer = requests.post(url + "/register", json=body, timeout=60)
    took.append(time.perf_counter() - started)
    if answer.status_code != 201:
        failed.append(f"{answer.status_code} {answer.text[:200]}")


def round_(
    http: requests.Session, url: str, token: str, reads: int
) -> tuple[list[float], list[float], list[float], list[str]]:
    """One round: the quiet reads, then the reads while 30 sign-ups are under way; and the
    sign-ups' own latencies and failures."""
    quiet = [read(http, url, token) for _ in range(reads)]
    prefix = unique("blk")
    took: list[float] = []
    failed: list[str] = []
    threads = [
        threading.Thread(target=sign_up, args=(url, f"{prefix}{i}", took, failed))
        for i in range(SIGN_UPS)
    ]
    for thread in threads:
        thread.start()
    during: list[float] = []
    while any(thread.is_alive() for thread in threads):
        during.append(read(http, url, token))
    for thread in threads:
        thread.join()
    return quiet, during, took, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reads", type=int, default=20)
    parser.add_argument("--delay", type=float, default=1.0)
    parser.add_argument("--name", default="hooks_blocking", help="result file name (a control)")
    args = parser.parse_args()
    emulators = start_emulators()
    wipe_firestore(emulators)
    hooks = receiver(args.delay)
    env = service_env(emulators)
    with Server("hooks-blocking", env) as service:
        root = admin_headers(service, env)
        body = {
            "kind": "before_sign_up",
            "url": f"http://127.0.0.1:{hooks.server_address[1]}/hook",
            "timeout_ms": 5000,
            "on_failure": "deny",
        }
        made = requests.post(service.url + "/admin/auth-hooks", json=body, headers=root, timeout=30)
        if made.status_code != 201:
            raise RuntimeError(f"hook: {made.status_code} {made.text[:200]}")
        token = register_and_login(service.url, unique("reader"))["access_token"]
        time.sleep(HOOKS_SEEN_AFTER)
        hooks.calls.clear()
        quiet: list[float] = []
        during: list[float] = []
        sign_ups: list[float] = []
        failures: list[str] = []
        with requests.Session() as http:
            for _ in range(args.rounds):
                q, d, took, failed = round_(http, service.url, token, args.reads)
                quiet += q
                during += d
                sign_ups += took
                failures += failed
    calls = hooks.calls.get("before_sign_up", 0)
    if failures or calls < args.rounds * SIGN_UPS:
        raise RuntimeError(f"{calls} hook calls; failed sign-ups: {failures[:3]}")

    def p95(values: list[float]) -> float:
        return round(percentile([v * 1000 for v in values], 95), 2)

    result = {
        "rounds": args.rounds,
        "hook_delay_s": args.delay,
        "sign_ups_at_once": SIGN_UPS,
        "hook_calls": calls,
        "get_user_quiet": {**latency_summary(quiet), "p95_ms": p95(quiet)},
        "get_user_during_sign_ups": {**latency_summary(during), "p95_ms": p95(during)},
        "sign_ups": {**latency_summary(sign_ups), "p95_ms": p95(sign_ups)},
        "loadavg": loadavg(),
    }
    path = write_result(args.name, result)
    print(json.dumps(result, indent=2))
    print(f"written: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
