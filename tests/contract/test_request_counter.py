"""One suite for the RequestCounter port: in memory (the fake), Firestore, and Redis."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis

from application.ports import RequestCounter
from domain.request_limits import WindowCounts
from infrastructure.firestore.request_counts import FirestoreRequestCounter
from infrastructure.redis_counts import RedisRequestCounter
from infrastructure.request_counts import InMemoryRequestCounter

pytestmark = pytest.mark.contract
NOW = 1_800_000_000.0  # the start of a minute and of an hour


@pytest.fixture(params=["memory", "firestore", "redis"])
def counter(request: pytest.FixtureRequest) -> Iterator[RequestCounter]:
    if request.param == "memory":
        yield InMemoryRequestCounter()
    elif request.param == "firestore":
        client: Any = request.getfixturevalue("firestore")
        yield FirestoreRequestCounter(client)
    else:
        url: str = request.getfixturevalue("redis_url")
        redis.Redis.from_url(url).flushdb()
        store = RedisRequestCounter(url)
        yield store
        store.close()


def test_requests_count_per_key_and_window(counter: RequestCounter) -> None:
    assert counter.hit("login 192.0.2.1", [60, 3600], NOW) == {
        60: WindowCounts(0, 1),
        3600: WindowCounts(0, 1),
    }
    assert counter.hit("login 192.0.2.1", [60, 3600], NOW + 59) == {
        60: WindowCounts(0, 2),
        3600: WindowCounts(0, 2),
    }
    assert counter.hit("login 192.0.2.2", [60], NOW) == {60: WindowCounts(0, 1)}
    assert counter.hit("register 192.0.2.1", [60], NOW) == {60: WindowCounts(0, 1)}


def test_the_previous_window_comes_back_with_the_current_one(counter: RequestCounter) -> None:
    for _ in range(3):
        counter.hit("k", [60, 3600], NOW + 10)
    assert counter.hit("k", [60, 3600], NOW + 70) == {
        60: WindowCounts(3, 1),
        3600: WindowCounts(0, 4),
    }
    # Two windows on, the first is no window's previous any more.
    assert counter.hit("k", [60, 3600], NOW + 130) == {
        60: WindowCounts(1, 1),
        3600: WindowCounts(0, 5),
    }


@pytest.mark.parametrize("key", ["auth.refresh 2001:db8:1:2::/64", "a/b", "__x__", "é" * 600])
def test_any_key_is_a_key(counter: RequestCounter, key: str) -> None:
    assert counter.hit(key, [1, 86_400], NOW) == {1: WindowCounts(0, 1), 86_400: WindowCounts(0, 1)}


def test_parallel_requests_each_get_their_own_count(counter: RequestCounter) -> None:
    with ThreadPoolExecutor(max_workers=30) as pool:
        counts = list(pool.map(lambda _: counter.hit("k", [60, 3600], NOW + 1), range(30)))
    assert sorted(c[60].current for c in counts) == list(range(1, 31))
    assert sorted(c[3600].current for c in counts) == list(range(1, 31))


def test_a_store_that_answers_says_so(counter: RequestCounter) -> None:
    assert counter.check() is True
