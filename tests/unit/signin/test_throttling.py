"""The failed-login throttle's rules (domain/signin/throttling.py): windows, blocks, backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.request_limits import client_scope
from domain.signin.throttling import FailureRecord, LoginThrottlePolicy, ThrottleRule

pytestmark = pytest.mark.unit
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
RULE = ThrottleRule(
    max_failures=10,
    window=timedelta(minutes=15),
    backoff=timedelta(minutes=1),
    max_backoff=timedelta(minutes=15),
)


def fail(
    times: int, start: datetime = T0, every: timedelta = timedelta(seconds=1)
) -> FailureRecord:
    record = FailureRecord.first(start, RULE)
    for i in range(1, times):
        record = record.after_failure(start + i * every, RULE)
    return record


def test_nine_failures_do_not_block_the_tenth_does() -> None:
    nine = fail(9)
    assert nine.failures == 9 and not nine.blocked(T0 + timedelta(seconds=9))
    ten = fail(10)
    blocked_at = T0 + timedelta(seconds=9)
    assert ten.blocked(blocked_at)
    assert ten.blocked_until == blocked_at + timedelta(minutes=1)
    assert ten.retry_after(blocked_at) == 60
    assert ten.retry_after(blocked_at + timedelta(seconds=59, milliseconds=1)) == 1
    assert not ten.blocked(blocked_at + timedelta(minutes=1))


def test_failures_spread_beyond_the_window_never_block() -> None:
    record = fail(30, every=timedelta(minutes=2))  # at most 8 inside any 15 minutes
    assert record.blocked_until is None and record.failures < 10


def test_failing_again_after_a_block_doubles_it_up_to_the_cap() -> None:
    record = fail(10)
    lengths = []
    for _ in range(6):
        assert record.blocked_until is not None
        now = record.blocked_until + timedelta(seconds=1)  # the block just ended
        record = record.after_failure(now, RULE)
        assert record.blocked_until is not None
        lengths.append(record.blocked_until - now)
    assert lengths == [timedelta(minutes=m) for m in (2, 4, 8, 15, 15, 15)]


def test_a_failure_during_a_block_changes_nothing() -> None:
    record = fail(10)
    assert record.after_failure(T0 + timedelta(seconds=30), RULE) == record


def test_a_quiet_window_after_a_block_is_forgiven() -> None:
    record = fail(10)
    assert record.blocked_until is not None
    later = record.blocked_until + RULE.window
    fresh = record.after_failure(later, RULE)
    assert fresh == FailureRecord(failures=1, window_start=later)
    assert fresh.expires_at(RULE) == later + RULE.window


def test_backoff_of_a_persistent_attacker_stays_finite() -> None:
    assert RULE.block_length(10_000) == RULE.max_backoff


@pytest.mark.parametrize(
    ("address", "scope"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("fe80::1%eth0", "fe80::/64"),
        ("", "unknown"),
        ("not-an-address", "not-an-address"),
    ],
)
def test_client_scope(address: str, scope: str) -> None:
    assert client_scope(address) == scope


def test_keys_of_a_login() -> None:
    policy = LoginThrottlePolicy()
    keys = [key for key, _ in policy.rules_for("alice", "2001:db8::5")]
    assert keys == ["account_ip:alice|2001:db8::/64", "account:alice", "ip:2001:db8::/64"]
    assert policy.success_key("alice", "2001:db8::5") == keys[0]
    assert [rule.max_failures for _, rule in policy.rules_for("a", "b")] == [10, 100, 50]
