"""The REST path's timestamps (infrastructure/firestore/rest_values.py) are read and written
exactly as the client library's ``DatetimeWithNanoseconds`` reads and writes them: an update
time read back and sent again as a write's precondition must be the same instant to the
nanosecond, or every refresh would fail its precondition."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from google.api_core.datetime_helpers import DatetimeWithNanoseconds

from infrastructure.firestore.rest_values import encode_timestamp, nanosecond_time

pytestmark = pytest.mark.unit


def spelt(moment: datetime, fraction: str) -> str:
    whole = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
    whole += f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    return whole + (f".{fraction}" if fraction else "") + "Z"


def moments(n: int) -> list[tuple[str, datetime]]:
    """``n`` RFC 3339 times of every length of fraction (0-9 digits), years 1-9999."""
    rng = random.Random(20261126)
    first = datetime(1, 1, 1, tzinfo=UTC)
    found = []
    for _ in range(n):
        moment = first + timedelta(seconds=rng.randrange(0, 315_537_897_599))
        fraction = "".join(rng.choice("0123456789") for _ in range(rng.randrange(0, 10)))
        found.append((spelt(moment, fraction), moment))
    return found


def test_an_update_time_is_read_as_the_client_library_reads_it() -> None:
    for raw, _ in moments(3000):
        theirs = DatetimeWithNanoseconds.from_rfc3339(raw)  # type: ignore[no-untyped-call]
        ours = nanosecond_time(raw)
        assert type(ours) is DatetimeWithNanoseconds
        assert (ours, ours.nanosecond, ours.tzinfo) == (
            theirs,
            theirs.nanosecond,
            theirs.tzinfo,
        ), raw


REFUSED = "does not match|month must be"  # not the pattern, or not a date


@pytest.mark.parametrize(
    "raw",
    [
        "2026-11-26T06:01:01",  # no zone
        "2026-13-02T03:04:05Z",  # no such month
        "2026-11-26T06:01:01.1234567890Z",  # ten digits of a second
        "2026-11-26 06:01:01Z",
        "",
    ],
)
def test_a_time_the_client_library_refuses_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match=REFUSED):
        DatetimeWithNanoseconds.from_rfc3339(raw)  # type: ignore[no-untyped-call]
    with pytest.raises(ValueError, match=REFUSED):
        nanosecond_time(raw)


def test_an_update_time_is_written_back_as_the_client_library_writes_it() -> None:
    for raw, _ in moments(3000):
        read = DatetimeWithNanoseconds.from_rfc3339(raw)  # type: ignore[no-untyped-call]
        assert encode_timestamp(read) == read.rfc3339(), raw


def test_any_other_aware_time_is_written_in_utc_to_the_microsecond() -> None:
    rng = random.Random(7)
    for _, moment in moments(3000):
        zone = timezone(timedelta(minutes=rng.randrange(-900, 900)))
        value = moment.replace(microsecond=rng.randrange(0, 10**6))
        if value.year in (1, 9999):  # away from the ends, where another zone overflows
            value = value.replace(year=2000)
        local = value.astimezone(zone)
        assert encode_timestamp(local) == value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_a_naive_time_is_never_written() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        encode_timestamp(datetime(2026, 11, 26, 6, 0))
