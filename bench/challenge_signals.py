#!/usr/bin/env python3
"""What the challenge's signals cost a login that needs no challenge: CPU per login with a
provider configured (the signals computed from the throttle's records, the gate passed)
against none, in one process.

    PYTHONPATH=src:. .venv/bin/python bench/challenge_signals.py [--logins 200] [--rounds 8]

The login use case (``Logins.login``) on the tests' in-memory fakes but for the real argon2
hasher at the service's defaults (the work a login's CPU is made of; the fakes leave out the
Firestore client and HTTP, so the share measured is larger than a served login's). Each round
runs ``--logins`` logins of one account with signals on, then as many off (the order
alternating by round), one wrong password before each right one so that the throttle has
records to read (forgotten after each, untimed); CPU is ``time.process_time``. Also the
signals' own work per login, timed alone (``challenge_signal`` over three records, and the
gate's check with no signal).
docs/benchmarks.md, "A challenge on signals". Writes bench/results/challenge_signals.json.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
import timeit

from tests.fakes.accounts import FakeChallengeVerifier
from tests.support.api import PASSWORD
from tests.support.use_cases import IP, World

from _common import loadavg, write_result
from application.accounts.challenge_gate import Challenged, ChallengePolicy
from application.signin.login import Login, challenge_signal
from domain.errors import Unauthenticated
from domain.signin.throttling import FailureRecord
from infrastructure.accounts.argon2_hasher import Argon2PasswordHasher

ON = ChallengePolicy(provider="turnstile", site_key="k")
OFF = ChallengePolicy()


def world() -> World:
    made = World()
    made.hasher = Argon2PasswordHasher(  # type: ignore[assignment]
        time_cost=2, memory_kib=19_456, parallelism=1, max_concurrent=1
    )
    made.register("alice")
    return made


def cpu_per_login(made: World, policy: ChallengePolicy, logins: int) -> float:
    """ms of CPU per right login, each after one wrong one."""
    made.challenge_gate = made.gate(policy, FakeChallengeVerifier())
    cases = made.logins()
    right = Login(login="alice", password=PASSWORD, client_ip=IP)
    wrong = Login(login="alice", password="not it at all", client_ip=IP)
    rules = made.throttle_policy.rules_for("alice", IP)
    spent = 0.0
    for _ in range(logins):
        with contextlib.suppress(Unauthenticated):
            cases.login(wrong)
        start = time.process_time()
        cases.login(right)
        spent += time.process_time() - start
        for key, _ in rules:  # untimed: each login starts from one failure again
            made.throttle.reset(key)
    return spent / logins * 1000


def signals_alone(calls: int) -> dict[str, float]:
    """µs of the signals' work on one login, timed apart."""
    made = world()
    now = made.clock.now()
    rules = made.throttle_policy.rules_for("alice", IP)
    records = {key: FailureRecord(1, now) for key, _ in rules}
    gate = made.gate(ON, FakeChallengeVerifier())
    signal = min(timeit.repeat(lambda: challenge_signal(records, rules, now, 20), number=calls))
    check = min(timeit.repeat(lambda: gate.check(Challenged(None, "", "login", IP)), number=calls))
    return {"signal_us": signal / calls * 1e6, "gate_us": check / calls * 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    made = world()
    on: list[float] = []
    off: list[float] = []
    for round_ in range(args.rounds):
        order = ((ON, on), (OFF, off)) if round_ % 2 == 0 else ((OFF, off), (ON, on))
        for policy, results in order:
            results.append(cpu_per_login(made, policy, args.logins))
    alone = signals_alone(20_000)
    ratios = [a / b for a, b in zip(on, off, strict=True)]
    result = {
        "logins_per_round": args.logins,
        "cpu_ms_on": [round(x, 3) for x in on],
        "cpu_ms_off": [round(x, 3) for x in off],
        "median_on_ms": round(statistics.median(on), 3),
        "median_off_ms": round(statistics.median(off), 3),
        "median_ratio": round(statistics.median(ratios), 4),
        **{key: round(value, 3) for key, value in alone.items()},
        "loadavg": loadavg(),
    }
    print(result)
    write_result("challenge_signals", result)


if __name__ == "__main__":
    main()
