"""Two gunicorn workers share one per-address limit: the counters are in Firestore (the
default RATE_LIMIT_STORAGE_URI), not in each worker's memory (docs/security.md)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.support.api import PASSWORD
from tests.support.servers import serving, workers_serving

pytestmark = pytest.mark.e2e
LIMIT = 5
REQUESTS = 16


def register(url: str, name: str) -> requests.Response:
    # A new connection each time, so the requests spread over both workers.
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    return requests.post(url + "/register", json=body, headers={"Connection": "close"}, timeout=30)


def burst(prefix: str, **env: str) -> list[requests.Response]:
    with serving(
        "gunicorn-shared-limits.log",
        WEB_CONCURRENCY="2",
        RATE_LIMIT_REGISTER=f"{LIMIT}/minute",
        **env,
    ) as url:
        deadline = time.monotonic() + 30
        while workers_serving(url) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert workers_serving(url) == 2
        time.sleep(1)  # from importing the app to serving it
        with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
            return list(pool.map(lambda n: register(url, f"{prefix}{n}"), range(REQUESTS)))


def test_two_workers_share_one_limit(firestore: Any) -> None:
    # Counted in each worker's memory, the burst gets more than the limit through once it
    # reaches both workers (on a busy machine one worker may accept a whole burst: another).
    through: list[int] = []
    while len(through) < 3 and not any(n > LIMIT for n in through):
        alone = burst(f"alone{len(through)}_", RATE_LIMIT_STORAGE_URI="memory://")
        through.append(sum(r.status_code == 201 for r in alone))
    assert max(through) > LIMIT, through
    responses = burst("shared")  # the default store: Firestore
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * LIMIT + [429] * (REQUESTS - LIMIT)
    for response in responses:
        assert response.headers["RateLimit-Policy"] == f'"{LIMIT}/60s";q={LIMIT};w=60'
        assert response.headers["RateLimit"].startswith(f'"{LIMIT}/60s";r=')
        if response.status_code == 429:
            retry_after = int(response.headers["Retry-After"])
            assert 1 <= retry_after <= 120
            assert response.headers["RateLimit"] == f'"{LIMIT}/60s";r=0;t={retry_after}'
            assert response.json()["code"] == "rate_limited"
