"""One suite for the LoginThrottle port, run against the fake and against Firestore."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.login import LoginThrottle
from domain.throttling import FailureRecord, LoginThrottlePolicy, ThrottleRule
from tests.fakes import FakeLoginThrottle

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
RULE = ThrottleRule(3, timedelta(minutes=15), timedelta(minutes=1), timedelta(minutes=15))
LOOSE = ThrottleRule(1000, timedelta(minutes=15), timedelta(minutes=1), timedelta(minutes=15))


@pytest.fixture(params=["fake", "firestore"])
def throttle(request: pytest.FixtureRequest) -> LoginThrottle:
    if request.param == "fake":
        return FakeLoginThrottle()
    from infrastructure.firestore.login_failures import FirestoreLoginThrottle

    client: Any = request.getfixturevalue("firestore")
    return FirestoreLoginThrottle(client)


def test_nothing_recorded_loads_nothing(throttle: LoginThrottle) -> None:
    assert throttle.load(["account:alice", "ip:192.0.2.1"]) == {}
    assert throttle.load([]) == {}


def test_failures_count_per_key_and_block(throttle: LoginThrottle) -> None:
    rules = [("account:alice", RULE), ("ip:192.0.2.1", LOOSE)]
    first = throttle.record_failure(rules, NOW)
    assert first == {
        "account:alice": FailureRecord(1, NOW),
        "ip:192.0.2.1": FailureRecord(1, NOW),
    }
    throttle.record_failure(rules, NOW + timedelta(seconds=1))
    third = throttle.record_failure(rules, NOW + timedelta(seconds=2))
    blocked_at = NOW + timedelta(seconds=2)
    assert third["account:alice"] == FailureRecord(
        3, blocked_at, blocked_at + timedelta(minutes=1), strikes=1
    )
    assert third["ip:192.0.2.1"].failures == 3
    assert throttle.load(["account:alice", "ip:192.0.2.1", "account:bob"]) == third


def test_reset_forgets_one_key(throttle: LoginThrottle) -> None:
    rules = LoginThrottlePolicy().rules_for("alice", "192.0.2.1")
    throttle.record_failure(rules, NOW)
    key = LoginThrottlePolicy().success_key("alice", "192.0.2.1")
    throttle.reset(key)
    throttle.reset(key)  # idempotent
    assert set(throttle.load([k for k, _ in rules])) == {k for k, _ in rules} - {key}


@pytest.mark.parametrize(
    "login",
    ["a/b@example.com", "__reserved__", "x" * 320, "ａｌｉｃｅ", "..", "o'brien|x@example.com"],
)
def test_awkward_login_names_are_keys_like_any_other(throttle: LoginThrottle, login: str) -> None:
    rules = LoginThrottlePolicy().rules_for(login, "2001:db8::1")
    throttle.record_failure(rules, NOW)
    loaded = throttle.load([k for k, _ in rules])
    assert {k: r.failures for k, r in loaded.items()} == {k: 1 for k, _ in rules}


def test_parallel_failures_are_all_counted(throttle: LoginThrottle) -> None:
    rules = [("account:alice", LOOSE), ("ip:192.0.2.1", LOOSE)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: throttle.record_failure(rules, NOW), range(16)))
    assert {k: r.failures for k, r in throttle.load([k for k, _ in rules]).items()} == {
        "account:alice": 16,
        "ip:192.0.2.1": 16,
    }
