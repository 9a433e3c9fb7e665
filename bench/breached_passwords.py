#!/usr/bin/env python3
"""POST /register with the breached-password check, its range cached, against the same
sign-up without the check (docs/security.md, "Breached passwords"; target: at most 1.05x).

    .venv/bin/python bench/breached_passwords.py [--count 60]

Two services under `gunicorn -c gunicorn.conf.py` on the same Firestore emulator, one with
BREACHED_PASSWORDS=block against a local range API (the real format, padded), one with
BREACHED_PASSWORDS=off; each sign-up uses one password, whose range every worker of the
first has kept after the warm-up (docs/decisions/0478-...). Sequential requests on keep-alive
connections, alternating in blocks of 10. Writes bench/results/breached_passwords.json.
"""

from __future__ import annotations

import argparse
import sys
import time

import requests

from _common import (
    PASSWORD,
    ROOT,
    Server,
    latency_summary,
    loadavg,
    service_env,
    start_emulators,
    unique,
    wipe_firestore,
    write_result,
)

sys.path.insert(0, str(ROOT))
from tests.support.range_api import range_api

BLOCK = 10
WARM_UP = 40  # enough for every worker of the checking service to keep the range
TARGET = 1.05


def sign_up(http: requests.Session, url: str, name: str) -> tuple[float, bool]:
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    started = time.perf_counter()
    answer = http.post(url + "/register", json=body, timeout=30)
    return time.perf_counter() - started, answer.status_code == 201


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--count", type=int, default=60, help="sign-ups per side")
    args = parser.parse_args()

    emulators = start_emulators(("firestore",))
    times: dict[str, list[float]] = {"checked": [], "unchecked": []}
    errors = 0
    try:
        wipe_firestore(emulators)
        prefix = unique("bp")
        with range_api() as api:
            checked_env = service_env(
                emulators, BREACHED_PASSWORDS="block", BREACHED_PASSWORDS_URL=api.url
            )
            unchecked_env = service_env(emulators, BREACHED_PASSWORDS="off")
            with (
                Server("breached-checked", checked_env) as checked,
                Server("breached-unchecked", unchecked_env) as unchecked,
                requests.Session() as http_checked,
                requests.Session() as http_unchecked,
            ):
                sides = {
                    "checked": (http_checked, checked.url),
                    "unchecked": (http_unchecked, unchecked.url),
                }
                for n in range(WARM_UP):
                    for side, (http, url) in sides.items():
                        sign_up(http, url, f"{prefix}w{side[0]}{n}")
                asked_after_warm_up = len(api.paths)
                n = 0
                while len(times["checked"]) < args.count:
                    for side, (http, url) in sides.items():
                        for i in range(BLOCK):
                            took, made = sign_up(http, url, f"{prefix}{side[0]}{n}x{i}")
                            times[side].append(took)
                            errors += not made
                    n += 1
                asked_while_measured = len(api.paths) - asked_after_warm_up
    finally:
        emulators.stop()

    with_check = latency_summary(times["checked"])
    without = latency_summary(times["unchecked"])
    ratio = round(with_check["p50_ms"] / without["p50_ms"], 3)
    result = {
        "server": "gunicorn -c gunicorn.conf.py (gthread), RATE_LIMIT_ENABLED=false, "
        "Firestore emulator; sequential requests on one keep-alive connection per service",
        "service": with_check,
        "floor": {**without, "what": "the same sign-up with BREACHED_PASSWORDS=off"},
        "ratio_p50": ratio,
        "range_requests_while_measured": asked_while_measured,
        "errors": errors,
        "load_at_end": loadavg(),
        "met": errors == 0 and ratio <= TARGET and asked_while_measured == 0,
        "target": f"p50 at most {TARGET}x the sign-up without the check, its range cached",
    }
    path = write_result("breached_passwords", result)
    print(
        f"sign-up with the check (cached) p50 {with_check['p50_ms']} ms vs without "
        f"{without['p50_ms']} ms: ratio {ratio}; range requests while measured "
        f"{asked_while_measured}; errors {errors}; wrote {path}"
    )
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
