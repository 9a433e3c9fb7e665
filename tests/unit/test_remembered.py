"""The bounded table of values kept until their deadlines, and a copy read again at most
once per its time to live."""

from __future__ import annotations

import logging

import pytest

from application.remembered import KeptCopy, Remembered
from tests.fakes.kernel import FakeClock

pytestmark = pytest.mark.unit


def test_a_value_is_kept_until_its_deadline() -> None:
    table: Remembered[str, int] = Remembered(4)
    table.put("a", 1, until=100.0)
    assert table.get("a", now=99.9) == 1
    assert table.get("a", now=100.0) is None
    assert table.get("b", now=0.0) is None


def test_without_a_deadline_a_value_is_kept_for_good() -> None:
    table: Remembered[str, str] = Remembered(4)
    table.put("page", "<html>")
    assert table.get("page") == "<html>"


def test_the_oldest_make_room_and_the_size_holds() -> None:
    table: Remembered[int, int] = Remembered(3)
    for n in range(5):
        table.put(n, n * 10)
    assert len(table) == 3
    assert [table.get(n) for n in range(5)] == [None, None, 20, 30, 40]
    table.put(2, 21)  # put again: the newest now
    table.put(5, 50)
    assert [table.get(n) for n in (2, 3, 4, 5)] == [21, None, 40, 50]


class _Reads:
    """What ``KeptCopy`` reads: each read its number, or an error while ``down``."""

    def __init__(self) -> None:
        self.count = 0
        self.down = False

    def __call__(self) -> int:
        if self.down:
            raise ConnectionError("down")
        self.count += 1
        return self.count


def test_a_copy_is_read_again_once_its_time_to_live_has_passed_or_it_was_dropped() -> None:
    clock, reads = FakeClock(), _Reads()
    copy = KeptCopy(reads, clock=clock, ttl=30, log=logging.getLogger("t"), what="things")
    assert (copy.get(), copy.get()) == (1, 1)
    clock.advance(seconds=29.9)
    assert copy.get() == 1
    clock.advance(seconds=0.1)
    assert copy.get() == 2
    copy.drop()
    assert copy.get() == 3


def test_a_failed_read_keeps_the_expired_copy_and_with_none_it_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, reads = FakeClock(), _Reads()
    copy = KeptCopy(reads, clock=clock, ttl=30, log=logging.getLogger("t"), what="things")
    reads.down = True
    with pytest.raises(ConnectionError):
        copy.get()
    reads.down = False
    assert copy.get() == 1
    clock.advance(seconds=31)
    reads.down = True
    assert copy.get() == 1
    assert "things not read; the last copy is used" in caplog.text
    reads.down = False
    assert copy.get() == 2  # read again at the next ask, not kept another ttl
