"""What a destination says when it fails part-way through a batch."""

from __future__ import annotations

from application.log_streams.ports import DestinationDown


def test_a_destination_down_says_why_and_how_many_it_took() -> None:
    down = DestinationDown("connection refused", taken=2)
    assert (down.reason, down.taken, str(down)) == ("connection refused", 2, "connection refused")
    assert DestinationDown("timed out").taken == 0
