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

import os
import random
import sys
import time
from typing import Any

import requests

from _common import PASSWORD, Server, service_env, start_emulators, unique
from _known_unknown import WARM_UP, arguments, print_run, report, run_result

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
    return run_result(samples)


def main() -> int:
    args = arguments(__doc__)
    for variable, value in BENCH_MAIL.items():
        os.environ.setdefault(variable, value)
    emulators = start_emulators(("firestore", "mail"))
    runs: list[dict[str, Any]] = []
    try:
        with Server("forgot_password", service_env(emulators)) as server:
            for number in range(args.runs):
                runs.append(one_run(server.url, args.count, seed=number, pause=args.pause))
                print_run(number, runs[-1])
    finally:
        emulators.stop()
    return report("forgot_password", args, runs)


if __name__ == "__main__":
    sys.exit(main())
