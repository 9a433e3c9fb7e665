#!/usr/bin/env python3
"""POST /auth/password/forgot: the time for an address with an account against one without.

    .venv/bin/python bench/forgot_password.py [--count 30] [--runs 3]

The service under `gunicorn -c gunicorn.conf.py` (local profile, the in-process job queue,
request limits off) on the Firestore emulator and maildev (the bench's own ports unless
FIRESTORE_EMULATOR_HOST / SMTP_URL are set), through one keep-alive connection, one request
at a time, ``--pause`` seconds apart so that each is timed alone rather than beside the job
the previous one queued. Each round sends one request for the known address, one for an
unknown one and one for a second unknown one (the control: two kinds that do exactly the same
work, so their ratio shows the machine's noise), in an order drawn at random (seeded);
10 warm-up rounds, then ``--count``. Each run uses a fresh account. Prints the medians and
p90 of each, the known/unknown ratio of the medians and the control ratio per run;
docs/security.md promises medians within 10%. Writes bench/results/forgot_password.json;
exits 1 when a run misses.
"""

from __future__ import annotations

import argparse
import os
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
FORGOT = "/auth/password/forgot"
# The bench's own maildev, away from the default 1025/1080 of `make run` and the tests.
BENCH_MAIL = {"SMTP_URL": "smtp://127.0.0.1:47125", "MAILDEV_WEB_PORT": "47126"}


def one_run(url: str, count: int, seed: int, pause: float) -> dict[str, Any]:
    name = unique("forgot")
    addresses = {
        "known": f"{name}@example.com",
        "unknown": f"nobody-{name}@example.com",
        "control": f"noone-{name}@example.com",
    }
    order = random.Random(seed)  # an ordering, not a secret
    samples: dict[str, list[float]] = {label: [] for label in addresses}
    with requests.Session() as http:
        body = {"username": name, "email": addresses["known"], "password": PASSWORD}
        created = http.post(url + "/register", json=body, timeout=60)
        if created.status_code != 201:
            raise SystemExit(f"could not register the bench account: {created.status_code}")
        for round_ in range(WARM_UP + count):
            kinds = list(addresses.items())
            order.shuffle(kinds)
            for label, address in kinds:
                time.sleep(pause)
                began = time.perf_counter()
                answer = http.post(url + FORGOT, json={"email": address}, timeout=60)
                took = (time.perf_counter() - began) * 1000
                if answer.status_code != 202 or answer.json() != {}:
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
    for variable, value in BENCH_MAIL.items():
        os.environ.setdefault(variable, value)
    emulators = start_emulators(("firestore", "mail"))
    runs: list[dict[str, Any]] = []
    try:
        with Server("forgot_password", service_env(emulators)) as server:
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
        "forgot_password",
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
