"""The SAML assertions used, against the fake and Firestore (the emulator): each spent once,
of 30 at once one wins (docs/reference/sso.md, "The service provider")."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from threading import Barrier
from typing import Any

import pytest

from application.sso.ports import SpentAssertions
from tests.fakes.sso import FakeSpentAssertions

pytestmark = pytest.mark.contract
UNTIL = datetime(2026, 11, 26, 12, 5, tzinfo=UTC)
PARALLEL = 30


@pytest.fixture(params=["fake", "firestore"])
def spent(request: pytest.FixtureRequest) -> SpentAssertions:
    if request.param == "fake":
        return FakeSpentAssertions()
    from infrastructure.firestore.sso.assertions import FirestoreSpentAssertions

    client: Any = request.getfixturevalue("firestore")
    return FirestoreSpentAssertions(client)


def test_an_assertion_is_spent_once_per_connection(spent: SpentAssertions) -> None:
    assert spent.spend("c1", "_id/with:any chars", UNTIL)
    assert not spent.spend("c1", "_id/with:any chars", UNTIL)
    assert spent.spend("c2", "_id/with:any chars", UNTIL)  # another connection's is its own
    assert spent.spend("c1", "_another", UNTIL)


def test_thirty_replays_at_once_let_one_through(spent: SpentAssertions) -> None:
    barrier = Barrier(PARALLEL)

    def spend(_: int) -> bool:
        barrier.wait()
        return spent.spend("c1", "_raced", UNTIL)

    with ThreadPoolExecutor(PARALLEL) as pool:
        outcomes = list(pool.map(spend, range(PARALLEL)))
    assert outcomes.count(True) == 1
