"""The back-offs' random pauses come from a generator of their own."""

from __future__ import annotations

import random

from infrastructure import jitter
from tests.support.forks import drawn_in_a_child


def test_pauses_leave_the_random_module_alone() -> None:
    # Tests and libraries seed and read the shared generator (Hypothesis warns when it
    # changes while it draws); a back-off in a background thread must not move it.
    before = random.getstate()
    pauses = [jitter.uniform(0.5, 1.0) for _ in range(100)]
    assert random.getstate() == before
    assert all(0.5 <= pause <= 1.0 for pause in pauses)
    assert len(set(pauses)) > 90


def test_forked_workers_do_not_pause_in_step() -> None:
    # Each gunicorn worker reseeds it: two workers backing off from one contended document
    # draw different pauses.
    assert drawn_in_a_child(lambda: repr(jitter.uniform(0, 1))) != repr(jitter.uniform(0, 1))
