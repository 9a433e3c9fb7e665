"""What counts by the clock's hour (the challenge gate's signals, the SMS budgets) counts a
test's requests in one hour only if they do not straddle an hour's start: a test on the wall
clock waits that start out (one on a fake clock moves it: ``FakeClock.in_one_hour``)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from tests.fakes.kernel import left_in_the_hour


def in_one_hour(steps: timedelta) -> None:
    """Past the next hour's start (a wait of at most ``steps``) when the ``steps`` a test
    takes from now on the wall clock would straddle it."""
    left = left_in_the_hour(datetime.now(UTC))
    if left <= steps:
        time.sleep(left.total_seconds() + 1)
