"""Requests raced against each other on the emulators, released together by a barrier."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

RACERS = 30
Call = Callable[[FlaskClient], TestResponse]


@dataclass(frozen=True)
class Outcome:
    status: int
    seconds: float
    code: str | None


def race(app: Flask, calls: Sequence[Call]) -> list[Outcome]:
    """Run ``calls`` in parallel, each on its own client, released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call: Call) -> Outcome:
        client = app.test_client()
        barrier.wait()
        start = time.perf_counter()
        response = call(client)
        seconds = time.perf_counter() - start
        body = response.get_json(silent=True)
        code = body.get("code") if isinstance(body, dict) else None
        return Outcome(response.status_code, seconds, code)

    with ThreadPoolExecutor(len(calls)) as pool:
        outcomes = list(pool.map(run, calls))
    print(summary(outcomes))  # pytest -s shows the figures of docs/decisions/0060
    return outcomes


def statuses(outcomes: Sequence[Outcome]) -> Counter[int]:
    return Counter(o.status for o in outcomes)


def percentile(outcomes: Sequence[Outcome], p: float) -> float:
    """Nearest rank: of 30 answers, p50 is the 15th fastest and p99 the slowest."""
    times = sorted(o.seconds for o in outcomes)
    return times[max(0, math.ceil(p / 100 * len(times)) - 1)]


def summary(outcomes: Sequence[Outcome]) -> str:
    counts = " ".join(f"{s}x{n}" for s, n in sorted(statuses(outcomes).items()))
    p50, p99 = percentile(outcomes, 50), percentile(outcomes, 99)
    return f"{counts}; p50 {p50:.2f} s, p99 {p99:.2f} s"
