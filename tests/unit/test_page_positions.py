"""The (time, id) positions the pages of a list by creation time are cut at
(application/pagination.py), which a cursor carries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from application.pagination import parse_time_position, time_position
from domain.errors import InvalidInput

pytestmark = pytest.mark.unit
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_positions_round_trip_to_the_microsecond() -> None:
    for at in (NOW, NOW + timedelta(microseconds=1), datetime(1969, 12, 31, 23, 59, tzinfo=UTC)):
        assert parse_time_position(time_position(at, "abc_-1")) == (at, "abc_-1")


@pytest.mark.parametrize(
    "position", ["", "x.abc", "1.", "1.a/b", "١٢.abc", "9" * 25 + ".abc", "9" * 19 + ".a"]
)
def test_positions_we_did_not_make_are_invalid(position: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_time_position(position)
    assert info.value.code == "invalid_cursor"
