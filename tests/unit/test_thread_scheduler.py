"""The periodic tasks' scheduler (the webhook and certificate sweeps): the first round waits,
so that a server's first requests do not share its CPU with the sweeps, but never longer
than the task's interval."""

from __future__ import annotations

import threading

import pytest

from infrastructure.events.scheduler import ThreadScheduler

pytestmark = pytest.mark.unit


def test_the_first_round_waits() -> None:
    ran = threading.Event()
    ThreadScheduler(first_round_after=60.0).every(60.0, ran.set)
    assert not ran.wait(0.5)


def test_the_first_round_waits_no_longer_than_the_interval() -> None:
    rounds = threading.Semaphore(0)
    ThreadScheduler(first_round_after=60.0).every(0.05, rounds.release)
    assert rounds.acquire(timeout=10) and rounds.acquire(timeout=10)  # and then again


def test_nor_longer_than_the_first_round_wait() -> None:
    ran = threading.Event()
    ThreadScheduler(first_round_after=0.05).every(3600.0, ran.set)
    assert ran.wait(10)
