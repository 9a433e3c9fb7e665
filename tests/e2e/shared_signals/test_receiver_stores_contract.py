"""One suite for the SSF receiver's stores, in memory (the fakes) and on Firestore: a SET's
key spent once, a stream stored and read back whole and purged with its org, a Google
identity marked disabled (application/shared_signals/receiver/ports.py)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.shared_signals.receiver.ports import (
    DisabledIdentities,
    ReceiverStreams,
    SpentSetIds,
)
from domain.shared_signals.receiver.streams import ReceiverStream, TransmitterConfig
from tests.unit.shared_signals.fakes import (
    FakeDisabledIdentities,
    FakeReceiverStreams,
    FakeSpentSetIds,
)

pytestmark = pytest.mark.contract
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
Stores = tuple[SpentSetIds, ReceiverStreams, DisabledIdentities]


@pytest.fixture(params=["fake", "firestore"])
def stores(request: pytest.FixtureRequest) -> Stores:
    if request.param == "fake":
        return FakeSpentSetIds(), FakeReceiverStreams(), FakeDisabledIdentities()
    from infrastructure.firestore.shared_signals.receiver import (
        FirestoreDisabledIdentities,
        FirestoreReceiverStreams,
        FirestoreSpentSetIds,
    )

    client: Any = request.getfixturevalue("firestore")
    return (
        FirestoreSpentSetIds(client),
        FirestoreReceiverStreams(client),
        FirestoreDisabledIdentities(client),
    )


def test_a_sets_key_is_spent_once(stores: Stores) -> None:
    spent, _, _ = stores
    assert spent.spend("k1", NOW + timedelta(days=7))
    assert not spent.spend("k1", NOW + timedelta(days=7))
    assert spent.spend("k2", NOW + timedelta(days=7))


def test_a_stream_is_read_back_whole_and_purged_with_its_org(stores: Stores) -> None:
    _, streams, _ = stores
    assert streams.get("c1") is None
    config = TransmitterConfig("https://tx.example", "https://tx.example/jwks", "https://tx/s")
    failed = ReceiverStream("c1", "org-1", "https://tx.example/c", "sealed").failed("down", NOW)
    streams.put(failed)
    assert streams.get("c1") == failed
    registered = failed.registered_at(config, "s-1", ("aud-1", "aud-2"))
    streams.put(registered)
    streams.put(ReceiverStream("c2", "org-2", "https://tx.example/c", "sealed"))
    assert streams.get("c1") == registered
    streams.delete_owned_by_org("org-1", 10)
    assert streams.get("c1") is None and streams.get("c2") is not None


def test_a_registration_is_held_by_one_until_released_or_over(stores: Stores) -> None:
    _, streams, _ = stores
    until = NOW + timedelta(minutes=5)
    assert streams.take_registration("c1", "a", NOW, until)
    assert not streams.take_registration("c1", "b", NOW + timedelta(minutes=1), until)
    assert streams.take_registration("c2", "b", NOW, until)  # another connection's
    streams.release_registration("c1", "b")  # not b's: it stays a's
    assert not streams.take_registration("c1", "b", NOW + timedelta(minutes=1), until)
    streams.release_registration("c1", "a")
    assert streams.take_registration("c1", "b", NOW + timedelta(minutes=1), until)
    # a holder that died: over at its ``until``
    later = until + timedelta(minutes=1)
    assert streams.take_registration("c1", "c", later, later + timedelta(minutes=5))


def test_thirty_servers_at_once_one_registers(stores: Stores) -> None:
    _, streams, _ = stores
    until = NOW + timedelta(minutes=5)
    with ThreadPoolExecutor(max_workers=30) as pool:
        taken = list(
            pool.map(lambda i: streams.take_registration("c1", f"h{i}", NOW, until), range(30))
        )
    assert taken.count(True) == 1


def test_an_identity_marked_disabled(stores: Stores) -> None:
    _, _, disabled = stores
    assert not disabled.disabled("google", "g-1")
    disabled.disable("google", "g-1", "u1", NOW)
    assert disabled.disabled("google", "g-1")
    assert not disabled.disabled("google", "g-2") and not disabled.disabled("other", "g-1")
