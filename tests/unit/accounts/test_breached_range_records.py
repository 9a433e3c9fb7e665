"""The breached-password ranges as the adapter keeps them (docs/security.md, "Breached
passwords"): only the suffixes seen the count asked, as sorted 18-byte records, found by a
binary search; anything else than a range is BreachCheckFailed."""

from __future__ import annotations

import random

import pytest

from application.accounts.breached import BreachCheckFailed
from infrastructure.accounts.hibp_range import RECORD, compact_range, holds, record

pytestmark = pytest.mark.unit


def suffixes(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.getrandbits(140):035X}" for _ in range(count)]


def test_the_records_hold_exactly_the_suffixes_seen_the_count_asked() -> None:
    seen = suffixes(900)
    counts = {suffix: i % 20 for i, suffix in enumerate(seen)}  # 0: a padding line
    body = "\r\n".join(f"{s}:{n}" for s, n in counts.items()).encode()
    for times in (1, 10, 19, 20):
        records = compact_range(body, times)
        assert len(records) == RECORD * sum(1 for n in counts.values() if n >= times)
        for suffix, n in counts.items():
            assert holds(records, record(suffix)) is (n >= times), (suffix, n, times)
    for other in suffixes(200, seed=8):
        assert not holds(compact_range(body, 1), record(other))


def test_lower_case_and_blank_lines_are_read() -> None:
    (suffix,) = suffixes(1)
    records = compact_range(f"\r\n{suffix.lower()}:3\r\n\r\n".encode(), 1)
    assert holds(records, record(suffix))
    assert compact_range(b"", 1) == b""


@pytest.mark.parametrize(
    "body",
    [
        b"<html>no</html>",
        b"ABC:1",
        ("Z" * 35 + ":1").encode(),
        ("AB CD" + "0" * 30 + ":1").encode(),  # fromhex would skip the space
        ("0" * 35 + ":-1").encode(),
        "é".encode(),
    ],
)
def test_an_answer_that_is_no_range_is_an_error(body: bytes) -> None:
    with pytest.raises(BreachCheckFailed) as failed:
        compact_range(body, 1)
    assert failed.value.outcome == "error"
