"""The bounded table of values kept until their deadlines."""

from __future__ import annotations

import pytest

from application.remembered import Remembered

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
