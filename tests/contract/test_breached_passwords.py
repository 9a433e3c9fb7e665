"""One suite for the BreachedPasswords port: the fake, and the range API's adapter against a
local range server answering in the real format (docs/security.md, "Breached passwords"):
seen the count asked or more is breached, a padding line or an unknown password is not, and
a dead source is BreachCheckFailed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from application.accounts.breached import BreachCheckFailed, BreachedPasswords
from infrastructure.accounts.hibp_range import HibpRangeBreaches
from tests.fakes.accounts import FakeBreachedPasswords
from tests.support.range_api import dead_url, range_api

pytestmark = pytest.mark.contract
SEEN = {"hunter2 hunter2 hunter2": 42, "a padded one": 0, "seen once only": 1}


@pytest.fixture(params=["fake", "range_api"])
def breaches(request: pytest.FixtureRequest) -> Iterator[BreachedPasswords]:
    if request.param == "fake":
        yield FakeBreachedPasswords(SEEN)
        return
    with range_api(SEEN) as api:
        yield HibpRangeBreaches(api.url, cache_bytes=64 * 1024)


@pytest.fixture(params=["fake", "range_api"])
def dead(request: pytest.FixtureRequest) -> BreachedPasswords:
    if request.param == "fake":
        failing = FakeBreachedPasswords()
        failing.failing = "error"
        return failing
    return HibpRangeBreaches(dead_url())


def test_seen_the_count_asked_or_more_is_breached(breaches: BreachedPasswords) -> None:
    for times in (1, 41, 42):
        assert breaches.seen_at_least("hunter2 hunter2 hunter2", times)
    assert not breaches.seen_at_least("hunter2 hunter2 hunter2", 43)
    assert breaches.seen_at_least("seen once only", 1)
    assert not breaches.seen_at_least("seen once only", 2)


def test_a_padding_line_or_an_unknown_password_is_not(breaches: BreachedPasswords) -> None:
    assert not breaches.seen_at_least("a padded one", 1)
    assert not breaches.seen_at_least("nobody ever lost this one", 1)


def test_a_dead_source_is_a_failed_check(dead: BreachedPasswords) -> None:
    with pytest.raises(BreachCheckFailed) as failed:
        dead.seen_at_least("hunter2 hunter2 hunter2", 1)
    assert failed.value.outcome == "error"
