#!/usr/bin/env python3
"""POST /login with a wrong password: the time for a username with an account against one
without.

    .venv/bin/python bench/login_failures.py [--count 30] [--runs 3]

The service under `gunicorn -c gunicorn.conf.py` (local profile, request limits and the
failed-login throttle off) on the Firestore emulator (the bench's own port unless
FIRESTORE_EMULATOR_HOST is set), through one keep-alive connection, one request at a time,
``--pause`` seconds apart. Each round sends a wrong password for the known username, one for
an unknown username and one for a second unknown one (the control: two kinds that do exactly
the same work, so their ratio shows the machine's noise), in an order drawn at random
(seeded); 10 warm-up rounds, then ``--count``, each round with a fresh account and names. Prints the
medians and p90 of each, the known/unknown ratio of the medians and the control ratio per
run; docs/security.md promises the same time (each verifies one argon2 hash and makes two
reads): medians within 10%. Writes bench/results/login_failures.json; exits 1 when a run
misses. tests/e2e/test_gunicorn.py asserts that the answers are the same.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from typing import Any

import requests

from _common import (
    PASSWORD,
    Server,
    loadavg,
    median,
    percentile,
    service_env,
    start_emulators,
    unique,
    write_result,
)

WARM_UP = 10
TOLERANCE = 0.10
LOGIN = "/login"
WRONG = "not the password, surely"
THROTTLE_OFF = {
    "LOGIN_FAILURES_PER_ACCOUNT": "100000",
    "LOGIN_FAILURES_PER_IP": "100000",
}


def one_run(url: str, count: int, seed: int, pause: float) -> dict[str, Any]:
    # Names of their own each round: the failed-login throttle counts 10 per name and address.
    prefix = unique("failing")
    order = random.Random(seed)  # an ordering, not a secret
    samples: dict[str, list[float]] = {"known": [], "unknown": [], "control": []}
    with requests.Session() as http:
        for round_ in range(WARM_UP + count):
            name = f"{prefix}x{round_:03d}"
            body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
            created = requests.post(url + "/register", json=body, timeout=60)
            if created.status_code != 201:
                raise SystemExit(f"could not register a bench account: {created.status_code}")
            usernames = {"known": name, "unknown": f"nobody{name}", "control": f"noone{name}"}
            kinds = list(usernames.items())
            order.shuffle(kinds)
            for label, username in kinds:
                time.sleep(pause)
                began = time.perf_counter()
                answer = http.post(
                    url + LOGIN, json={"username": username, "password": WRONG}, timeout=60
                )
                took = (time.perf_counter() - began) * 1000
                if answer.status_code != 401:
                    raise SystemExit(f"unexpected answer {answer.status_code}: {answer.text[:200]}")
                if round_ >= WARM_UP:
                    samples[label].append(took)
    result: dict[str, Any] = {}
    for label, values in samples.items():
        result[label] = {
            "p50_ms": round(median(values), 2),
            "p90_ms": round(percentile(values, 90), 2),
        }
    result["ratio"] = round(result["known"]["p50_ms"] / result["unknown"]["p50_ms"], 3)
    result["control_ratio"] = round(result["control"]["p50_ms"] / result["unknown"]["p50_ms"], 3)
    result["met"] = abs(result["ratio"] - 1) <= TOLERANCE
    result["samples_ms"] = {
        label: [round(v, 3) for v in values] for label, values in samples.items()
    }
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between requests")
    args = parser.parse_args()
    emulators = start_emulators(("firestore",))
    runs: list[dict[str, Any]] = []
    try:
        # Every wrong password counts towards no throttle: the bench sends hundreds.
        env = service_env(
            emulators, LOGIN_FAILURES_PER_IP="100000", LOGIN_FAILURES_PER_USER="100000"
        )
        with Server("login_failures", env) as server:
            for number in range(args.runs):
                run = one_run(server.url, args.count, seed=number, pause=args.pause)
                runs.append(run)
                print(
                    f"run {number + 1}: known median {run['known']['p50_ms']:6.2f} ms "
                    f"(p90 {run['known']['p90_ms']:6.2f}), unknown median "
                    f"{run['unknown']['p50_ms']:6.2f} ms (p90 {run['unknown']['p90_ms']:6.2f}), "
                    f"ratio {run['ratio']:.3f} {'met' if run['met'] else 'MISSED'} "
                    f"(control {run['control_ratio']:.3f})"
                )
    finally:
        emulators.stop()
    met = all(run["met"] for run in runs)
    pooled = {
        label: median([v for run in runs for v in run["samples_ms"][label]])
        for label in ("known", "unknown", "control")
    }
    print(
        f"all {len(runs)} runs pooled: known median {pooled['known']:.2f} ms, unknown "
        f"{pooled['unknown']:.2f} ms, ratio {pooled['known'] / pooled['unknown']:.3f} "
        f"(control {pooled['control'] / pooled['unknown']:.3f})"
    )
    write_result(
        "login_failures",
        {
            "count": args.count,
            "pause_s": args.pause,
            "runs": runs,
            "ratio_min": min(run["ratio"] for run in runs),
            "ratio_max": max(run["ratio"] for run in runs),
            "pooled_ratio": round(pooled["known"] / pooled["unknown"], 3),
            "pooled_control_ratio": round(pooled["control"] / pooled["unknown"], 3),
            "target": f"known/unknown median within {TOLERANCE:.0%}",
            "met": met,
            "load_at_end": loadavg(),
        },
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
