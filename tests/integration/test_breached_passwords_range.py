"""The range API's adapter against a local range server answering in the real format, padding
lines included (docs/security.md, "Breached passwords"): only 5 hex characters leave, padding
is asked for and ignored, the answers are kept per prefix for a day within a cap in bytes
(the least recently used out), and a slow or dead API is BreachCheckFailed."""

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
    assert breaches.seen_at_least(BREACHED, 42)
    assert not breaches.seen_at_least(BREACHED, 43)
    assert not breaches.seen_at_least(PADDED, 1)  # a padding line (count 0) is no breach
    assert not breaches.seen_at_least("never seen anywhere at all", 1)
    assert all(re.fullmatch(r"/range/[0-9A-F]{5}", path) for path in api.paths), api.paths
    assert api.padding_asked and all(api.padding_asked)
    for password in (BREACHED, PADDED):
        assert not any(sha1_hex(password)[5:] in path for path in api.paths)


def test_two_passwords_of_one_prefix_cost_one_range_request(api: RangeApi) -> None:
    first, second = same_prefix()
    api.seen[second] = 7
    breaches = HibpRangeBreaches(api.url)
    assert not breaches.seen_at_least(first, 1)
    assert breaches.seen_at_least(second, 1)
    assert api.paths == [f"/range/{sha1_hex(first)[:5]}"]


def test_a_kept_range_is_asked_again_after_a_day(api: RangeApi) -> None:
    clock = Clock()
    breaches = HibpRangeBreaches(api.url, monotonic=clock)
    breaches.seen_at_least(BREACHED, 1)
    clock.now += 24 * 3600 - 1
    breaches.seen_at_least(BREACHED, 1)
    assert len(api.paths) == 1
    clock.now += 1
    breaches.seen_at_least(BREACHED, 1)
    assert len(api.paths) == 2


def test_a_slow_api_is_a_timeout(api: RangeApi) -> None:
    api.delay = 5.0
    with pytest.raises(BreachCheckFailed) as failed:
        HibpRangeBreaches(api.url, deadline=1.0).seen_at_least(BREACHED, 1)
    assert failed.value.outcome == "timeout"


def test_a_dead_api_is_an_error() -> None:
    with pytest.raises(BreachCheckFailed) as failed:
        HibpRangeBreaches(dead_url()).seen_at_least(BREACHED, 1)
    assert failed.value.outcome == "error"


def test_an_answer_that_is_no_range_is_an_error(api: RangeApi) -> None:
    with pytest.raises(BreachCheckFailed) as failed:
        HibpRangeBreaches(api.url + "/not-here").seen_at_least(BREACHED, 1)
    assert failed.value.outcome == "error"


def test_the_kept_ranges_stay_within_their_cap_and_eviction_keeps_answers_right(
    api: RangeApi,
) -> None:
    """Many prefixes checked: what is kept never passes BREACHED_PASSWORDS_CACHE_BYTES, the
    least recently used range goes first, and a range asked again after its eviction is
    fetched again and answers as before."""
    cap = 64 * 1024  # about ten of the local API's ranges (300 suffixes each)
    breaches = HibpRangeBreaches(api.url, cache_bytes=cap)
    assert breaches.seen_at_least(BREACHED, 1)
    prefixes = {sha1_hex(BREACHED)[:5]}
    for i in range(120):
        password = f"another password {i}"
        prefixes.add(sha1_hex(password)[:5])
        assert not breaches.seen_at_least(password, 1)
        assert breaches.kept_bytes <= cap
        if i % 5 == 0:
            assert breaches.seen_at_least(BREACHED, 1)  # used lately: kept
    assert len(api.paths) == len(prefixes)  # the breached one's range was never asked again
    assert 0 < breaches.kept_ranges < 20
    asked = len(api.paths)
    assert not breaches.seen_at_least("another password 0", 1)  # evicted: asked again
    assert breaches.seen_at_least(BREACHED, 42)  # a count of its own: a range of its own
    assert len(api.paths) == asked + 2
    assert breaches.kept_bytes <= cap


def test_with_no_room_nothing_is_kept_and_every_answer_is_right(api: RangeApi) -> None:
    breaches = HibpRangeBreaches(api.url, cache_bytes=0)
    assert breaches.seen_at_least(BREACHED, 42)
    assert breaches.seen_at_least(BREACHED, 42)
    assert (breaches.kept_ranges, breaches.kept_bytes, len(api.paths)) == (0, 0, 2)


def test_only_the_suffixes_seen_the_count_asked_are_kept(api: RangeApi) -> None:
    """The local API's other suffixes are seen 1-50 times: asked for 40 or more, a range
    keeps a fraction of what it keeps for 1 or more, 18 bytes each."""
    breaches = HibpRangeBreaches(api.url)
    breaches.seen_at_least(BREACHED, 1)
    everything = breaches.kept_bytes
    breaches = HibpRangeBreaches(api.url)
    breaches.seen_at_least(BREACHED, 40)
    assert breaches.kept_bytes < everything / 3
    assert everything < 300 * 18 + 1024  # no padding, no strings
