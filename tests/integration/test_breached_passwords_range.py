"""The range API's adapter against a local range server answering in the real format, padding
lines included (docs/security.md, "Breached passwords"): only 5 hex characters leave, padding
is asked for and ignored, the answers are kept per prefix for a day, and a slow or dead API is
BreachCheckFailed."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

import pytest

from application.accounts.breached import BreachCheckFailed
from infrastructure.accounts.hibp_range import HibpRangeBreaches
from tests.support.range_api import RangeApi, dead_url, range_api, sha1_hex

pytestmark = pytest.mark.integration

BREACHED = "hunter2 hunter2 hunter2"
PADDED = "a password only the padding lists"  # listed with count 0: not breached


def same_prefix() -> tuple[str, str]:
    """Two passwords whose SHA-1 shares its first 5 hex characters (found by the birthday
    bound: a few thousand tries)."""
    first: dict[str, str] = {}
    for i in itertools.count():
        password = f"shared prefix {i}"
        prefix = sha1_hex(password)[:5]
        if prefix in first:
            return first[prefix], password
        first[prefix] = password
    raise AssertionError("unreachable")


@pytest.fixture
def api() -> Iterator[RangeApi]:
    with range_api({BREACHED: 42, PADDED: 0}) as server:
        yield server


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_a_breached_password_is_counted_and_only_its_prefix_leaves(api: RangeApi) -> None:
    breaches = HibpRangeBreaches(api.url)
    assert breaches.times_seen(BREACHED) == 42
    assert breaches.times_seen(PADDED) == 0  # a padding line (count 0) is no breach
    assert breaches.times_seen("never seen anywhere at all") == 0
    assert all(re.fullmatch(r"/range/[0-9A-F]{5}", path) for path in api.paths), api.paths
    assert api.padding_asked and all(api.padding_asked)
    for password in (BREACHED, PADDED):
        assert not any(sha1_hex(password)[5:] in path for path in api.paths)


def test_two_passwords_of_one_prefix_cost_one_range_request(api: RangeApi) -> None:
    first, second = same_prefix()
    api.seen[second] = 7
    breaches = HibpRangeBreaches(api.url)
    assert breaches.times_seen(first) == 0
    assert breaches.times_seen(second) == 7
    assert api.paths == [f"/range/{sha1_hex(first)[:5]}"]


def test_a_kept_range_is_asked_again_after_a_day(api: RangeApi) -> None:
    clock = Clock()
    breaches = HibpRangeBreaches(api.url, monotonic=clock)
    breaches.times_seen(BREACHED)
    clock.now += 24 * 3600 - 1
    breaches.times_seen(BREACHED)
    assert len(api.paths) == 1
    clock.now += 1
    breaches.times_seen(BREACHED)
    assert len(api.paths) == 2


def test_a_slow_api_is_a_timeout(api: RangeApi) -> None:
    api.delay = 5.0
    with pytest.raises(BreachCheckFailed) as failed:
        HibpRangeBreaches(api.url, deadline=1.0).times_seen(BREACHED)
    assert failed.value.outcome == "timeout"


def test_a_dead_api_is_an_error() -> None:
    with pytest.raises(BreachCheckFailed) as failed:
        HibpRangeBreaches(dead_url()).times_seen(BREACHED)
    assert failed.value.outcome == "error"


def test_an_answer_that_is_no_range_is_an_error(api: RangeApi) -> None:
    with pytest.raises(BreachCheckFailed) as failed:
        HibpRangeBreaches(api.url + "/not-here").times_seen(BREACHED)
    assert failed.value.outcome == "error"
