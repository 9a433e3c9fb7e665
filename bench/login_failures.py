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

import random
import sys
import time
from typing import Any

import requests

from _common import PASSWORD, Server, service_env, start_emulators, unique
from _known_unknown import WARM_UP, arguments, print_run, report, run_result

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
    return run_result(samples)


def main() -> int:
    args = arguments(__doc__)
    emulators = start_emulators(("firestore",))
    runs: list[dict[str, Any]] = []
    try:
        # Every wrong password counts towards no throttle: the bench sends hundreds.
        with Server("login_failures", service_env(emulators, **THROTTLE_OFF)) as server:
            for number in range(args.runs):
                runs.append(one_run(server.url, args.count, seed=number, pause=args.pause))
                print_run(number, runs[-1])
    finally:
        emulators.stop()
    return report("login_failures", args, runs)


if __name__ == "__main__":
    sys.exit(main())
