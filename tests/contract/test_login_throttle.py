"""One suite for the LoginThrottle port, run against the fake and against Firestore."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.signin.throttle import LoginThrottle
from domain.errors import RateLimited
from domain.signin.throttling import FailureRecord, LoginThrottlePolicy, ThrottleRule
from tests.fakes.signin import FakeLoginThrottle

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
RULE = ThrottleRule(3, timedelta(minutes=15), timedelta(minutes=1), timedelta(minutes=15))
LOOSE = ThrottleRule(1000, timedelta(minutes=15), timedelta(minutes=1), timedelta(minutes=15))


@pytest.fixture(params=["fake", "firestore"])
def throttle(request: pytest.FixtureRequest) -> LoginThrottle:
    if request.param == "fake":
        return FakeLoginThrottle()
    from infrastructure.firestore.signin.login_failures import FirestoreLoginThrottle

    client: Any = request.getfixturevalue("firestore")
    return FirestoreLoginThrottle(client)


def test_nothing_recorded_loads_nothing(throttle: LoginThrottle) -> None:
    assert throttle.load(["account:alice", "ip:192.0.2.1"]) == {}
    assert throttle.load([]) == {}


def test_failures_count_per_key_and_block(throttle: LoginThrottle) -> None:
    rules = [("account:alice", RULE), ("ip:192.0.2.1", LOOSE)]
    first = throttle.reserve(rules, NOW)
    assert first.before == {"account:alice": None, "ip:192.0.2.1": None}
    assert first.after == {
        "account:alice": FailureRecord(1, NOW),
        "ip:192.0.2.1": FailureRecord(1, NOW),
    }
    throttle.reserve(rules, NOW + timedelta(seconds=1), throttle.load([k for k, _ in rules]))
    third = throttle.reserve(rules, NOW + timedelta(seconds=2))
    blocked_at = NOW + timedelta(seconds=2)
    assert third.after["account:alice"] == FailureRecord(
        3, blocked_at, blocked_at + timedelta(minutes=1), strikes=1
    )
    assert third.after["ip:192.0.2.1"].failures == 3
    assert throttle.load(["account:alice", "ip:192.0.2.1", "account:bob"]) == third.after


def test_a_blocked_key_refuses_the_guess_and_counts_nothing(throttle: LoginThrottle) -> None:
    rules = [("account:alice", RULE), ("ip:192.0.2.1", LOOSE)]
    for second in range(3):
        throttle.reserve(rules, NOW + timedelta(seconds=second))
    blocked = throttle.load([k for k, _ in rules])
    with pytest.raises(RateLimited) as refused:
        throttle.reserve(rules, NOW + timedelta(seconds=5), blocked)
    assert refused.value.code == "too_many_login_failures"
    assert refused.value.retry_after == 57  # the block began at second 2 and lasts a minute
    assert throttle.load([k for k, _ in rules]) == blocked


def test_a_seen_absence_is_checked_by_the_store(throttle: LoginThrottle) -> None:
    """A caller that read no record and passes that on while another guess counted
    meanwhile: the count is not lost, nor the block skipped."""
    rules = [("account:alice", RULE)]
    for second in range(3):
        throttle.reserve(rules, NOW + timedelta(seconds=second))
    with pytest.raises(RateLimited):
        throttle.reserve(rules, NOW + timedelta(seconds=5), seen={})


def test_a_right_guess_is_taken_back_exactly(throttle: LoginThrottle) -> None:
    rules = [("account:alice", RULE), ("ip:192.0.2.1", LOOSE)]
    earlier = throttle.reserve(rules, NOW)
    guess = throttle.reserve(rules, NOW + timedelta(seconds=1))
    throttle.release(guess)
    assert throttle.load([k for k, _ in rules]) == earlier.after
    fresh = [("account:bob", RULE)]
    throttle.release(throttle.reserve(fresh, NOW))
    assert throttle.load(["account:bob"]) == {}  # no record before: none after


def test_a_right_guess_that_made_the_block_unmakes_it(throttle: LoginThrottle) -> None:
    rules = [("account:alice", RULE)]
    throttle.reserve(rules, NOW)
    second = throttle.reserve(rules, NOW + timedelta(seconds=1)).after
    third = throttle.reserve(rules, NOW + timedelta(seconds=2))
    assert third.after["account:alice"].blocked(NOW + timedelta(seconds=3))
    throttle.release(third)
    assert throttle.load(["account:alice"]) == second


def test_a_release_keeps_what_others_counted_since(throttle: LoginThrottle) -> None:
    rules = [("account:alice", LOOSE), ("ip:192.0.2.1", LOOSE)]
    mine = throttle.reserve(rules, NOW)
    throttle.reserve(rules, NOW + timedelta(seconds=1))
    throttle.reserve(rules, NOW + timedelta(seconds=2))
    throttle.release(mine, clear=["ip:192.0.2.1"])
    assert {k: r.failures for k, r in throttle.load([k for k, _ in rules]).items()} == {
        "account:alice": 2
    }


def test_a_guess_after_a_release_counts_on_what_is_left(throttle: LoginThrottle) -> None:
    rules = [("account:alice", LOOSE)]
    mine = throttle.reserve(rules, NOW)
    throttle.reserve(rules, NOW + timedelta(seconds=1))
    throttle.release(mine)
    later = throttle.reserve(rules, NOW + timedelta(seconds=2))
    assert later.after["account:alice"].failures == 2
    throttle.reserve(rules, NOW + timedelta(seconds=3))
    assert throttle.load(["account:alice"])["account:alice"].failures == 3


def test_reset_forgets_one_key(throttle: LoginThrottle) -> None:
    rules = LoginThrottlePolicy().rules_for("alice", "192.0.2.1")
    throttle.reserve(rules, NOW)
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
    throttle.reserve(rules, NOW)
    loaded = throttle.load([k for k, _ in rules])
    assert {k: r.failures for k, r in loaded.items()} == {k: 1 for k, _ in rules}


def test_parallel_guesses_are_all_counted(throttle: LoginThrottle) -> None:
    rules = [("account:alice", LOOSE), ("ip:192.0.2.1", LOOSE)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: throttle.reserve(rules, NOW, seen={}), range(16)))
    assert {k: r.failures for k, r in throttle.load([k for k, _ in rules]).items()} == {
        "account:alice": 16,
        "ip:192.0.2.1": 16,
    }


def test_thirty_parallel_guesses_get_the_budget_and_no_more(throttle: LoginThrottle) -> None:
    budget = ThrottleRule(10, timedelta(minutes=15), timedelta(minutes=1), timedelta(minutes=15))
    rules = [("account_ip:alice|192.0.2.1", budget), ("ip:192.0.2.1", LOOSE)]

    def guess(_: int) -> bool:
        try:
            throttle.reserve(rules, NOW, seen={})
        except RateLimited:
            return False
        return True

    with ThreadPoolExecutor(max_workers=30) as pool:
        admitted = sum(pool.map(guess, range(30)))
    assert 1 <= admitted <= 10
    assert throttle.load([k for k, _ in rules])["ip:192.0.2.1"].failures == admitted


class _ClearedAfterRead:
    """A Firestore client whose next read of the records is followed, before the reader
    writes, by ``meanwhile`` (once): the interleaving of a release with a right guess."""

    def __init__(self, client: Any, meanwhile: Any) -> None:
        self._client = client
        self._meanwhile = meanwhile

    def collection(self, name: str) -> Any:
        return self._client.collection(name)

    def batch(self) -> Any:
        return self._client.batch()

    def get_all(self, refs: Any, **kwargs: Any) -> list[Any]:
        snaps = list(self._client.get_all(refs, **kwargs))
        meanwhile, self._meanwhile = self._meanwhile, None
        if meanwhile is not None:
            meanwhile()
        return snaps


def test_a_release_that_read_a_record_since_cleared_takes_nothing_from_the_next(
    firestore: Any,
) -> None:
    """Guesses A and B count; A proves right and reads the record (B counted since, so A
    takes one failure back). Before A writes, a right guess clears the key and a wrong guess
    C counts afresh. A's failure went with the clearing: C's stays counted, and no release
    ever leaves a count below zero."""
    from infrastructure.firestore.signin.login_failures import FirestoreLoginThrottle

    rules = [("account_ip:alice|192.0.2.1", LOOSE)]
    key = rules[0][0]
    store = FirestoreLoginThrottle(firestore)
    a = store.reserve(rules, NOW)
    b = store.reserve(rules, NOW + timedelta(seconds=1))
    later: list[Any] = []

    def clear_then_count() -> None:
        store.reset(key)
        later.append(store.reserve(rules, NOW + timedelta(seconds=2)))

    reader: Any = _ClearedAfterRead(firestore, clear_then_count)
    FirestoreLoginThrottle(reader).release(a)
    assert store.load([key]) == {key: FailureRecord(1, NOW + timedelta(seconds=2))}
    store.release(b)
    assert store.load([key]) == {key: FailureRecord(1, NOW + timedelta(seconds=2))}
    store.release(later[0])
    assert store.load([key]) == {}
