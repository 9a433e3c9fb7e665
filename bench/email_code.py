#!/usr/bin/env python3
"""POST /auth/email-code for an address with an account against one without; then
POST /auth/email-code/verify against a password login (POST /login) of the same accounts.

    .venv/bin/python bench/email_code.py [--count 30] [--runs 3]

The service under `gunicorn -c gunicorn.conf.py` (local profile, the in-process job queue,
request limits off) on the Firestore emulator and maildev (the bench's own ports unless
FIRESTORE_EMULATOR_HOST / SMTP_URL are set), through one keep-alive connection, one request
at a time, ``--pause`` seconds apart. A code may be asked for an address once in 30 seconds,
so each request is for an address of its own: each round one for a registered account, one
for an unknown address and one for a second unknown one (the control, which does exactly the
same work), in an order drawn at random (seeded); 10 warm-up rounds, then ``--count``. Then,
for ``--count`` of the accounts, a password login is timed, then a code is asked for, read
from maildev and verified (timed): the first, which proves the account's address (and so
starts it clean), and 30 s later a second, the usual case. Prints the medians and p90;
docs/benchmarks.md keeps the figures. Writes bench/results/email_code.json; exits 1 when a
run's known/unknown medians differ by more than 10%.
"""

from __future__ import annotations

import os
import random
import re
import sys
import time
from typing import Any

import requests

from _common import PASSWORD, Server, median, percentile, service_env, start_emulators, unique
from _known_unknown import WARM_UP, arguments, print_run, report, run_result

REQUEST, VERIFY = "/auth/email-code", "/auth/email-code/verify"
# The bench's own maildev, away from the default 1025/1080 of `make run` and the tests.
BENCH_MAIL = {"SMTP_URL": "smtp://127.0.0.1:47127", "MAILDEV_WEB_PORT": "47128"}
CODE = re.compile(r"^\s*(\d{6})\s*$", re.MULTILINE)


def _mailed_code(maildev: str, address: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mails = requests.get(f"{maildev}/api/email", timeout=10).json()
        for mail in mails:
            if any(to["address"] == address for to in mail["to"]):
                found = CODE.search(mail["text"])
                if found is not None:
                    return found.group(1)
        time.sleep(0.05)
    raise SystemExit(f"no code mail reached {address}")


def _timed(http: requests.Session, url: str, body: dict[str, str], status: int) -> float:
    began = time.perf_counter()
    answer = http.post(url, json=body, timeout=60)
    took = (time.perf_counter() - began) * 1000
    if answer.status_code != status:
        raise SystemExit(f"unexpected answer {answer.status_code}: {answer.text[:200]}")
    return took


def _code_sign_in(http: requests.Session, url: str, maildev: str, address: str) -> float:
    """Ask for a code, read it from maildev, and time its verification."""
    requests.delete(f"{maildev}/api/email/all", timeout=10)
    flow = http.post(url + REQUEST, json={"email": address}, timeout=60).json()["flow_id"]
    code = _mailed_code(maildev, address)
    return _timed(http, url + VERIFY, {"flow_id": flow, "code": code}, 200)


def one_run(url: str, maildev: str, count: int, seed: int, pause: float) -> dict[str, Any]:
    name = unique("code")
    order = random.Random(seed)  # an ordering, not a secret
    samples: dict[str, list[float]] = {"known": [], "unknown": [], "control": []}
    accounts: list[str] = []
    with requests.Session() as http:
        for round_ in range(WARM_UP + count):
            known = f"{name}r{round_}"
            body = {"username": known, "email": f"{known}@example.com", "password": PASSWORD}
            if http.post(url + "/register", json=body, timeout=60).status_code != 201:
                raise SystemExit("could not register a bench account")
            accounts.append(known)
            addresses = {
                "known": f"{known}@example.com",
                "unknown": f"nobody-{known}@example.com",
                "control": f"noone-{known}@example.com",
            }
            kinds = list(addresses.items())
            order.shuffle(kinds)
            for label, address in kinds:
                time.sleep(pause)
                took = _timed(http, url + REQUEST, {"email": address}, 202)
                if round_ >= WARM_UP:
                    samples[label].append(took)
        result = run_result(samples)
        # Verify against a password login, on accounts asked for 30 s ago or more. Each is
        # logged in first: its first code proves its address, which, as the first proof,
        # starts the account clean (its password goes). Then a second code is timed, the
        # usual case of an account whose address is proven.
        logins, first_proofs, verifies = [], [], []
        time.sleep(31)
        for known in accounts[WARM_UP:]:
            login = {"username": known, "password": PASSWORD}
            logins.append(_timed(http, url + "/login", login, 200))
        for times in (first_proofs, verifies):
            for known in accounts[WARM_UP:]:
                times.append(_code_sign_in(http, url, maildev, f"{known}@example.com"))
            time.sleep(31)  # one code per address in 30 s
    for label, values in (("login", logins), ("first_proof", first_proofs), ("verify", verifies)):
        result[f"{label}_p50_ms"] = round(median(values), 2)
        result[f"{label}_p90_ms"] = round(percentile(values, 90), 2)
    return result


def main() -> int:
    args = arguments(__doc__)
    for variable, value in BENCH_MAIL.items():
        os.environ.setdefault(variable, value)
    emulators = start_emulators(("firestore", "mail"))
    maildev = os.environ.get("MAILDEV_URL") or emulators.env()["MAILDEV_URL"]
    runs: list[dict[str, Any]] = []
    try:
        with Server("email_code", service_env(emulators)) as server:
            for number in range(args.runs):
                runs.append(one_run(server.url, maildev, args.count, number, args.pause))
                print_run(number, runs[-1])
                last = runs[-1]
                print(
                    f"       verify median {last['verify_p50_ms']:6.2f} ms "
                    f"(p90 {last['verify_p90_ms']:6.2f}; a first proof "
                    f"{last['first_proof_p50_ms']:6.2f}), password login median "
                    f"{last['login_p50_ms']:6.2f} ms (p90 {last['login_p90_ms']:6.2f})"
                )
    finally:
        emulators.stop()
    return report("email_code", args, runs)


if __name__ == "__main__":
    sys.exit(main())
