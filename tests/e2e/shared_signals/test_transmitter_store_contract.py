"""One suite for the SSF transmitter's store, in memory (the fake) and on Firestore: the
clients registered with --ssf, one stream per client, the subjects a stream follows found
by their account, a deleted stream's subjects gone with it, and the verification SETs it
writes into the events' outbox, read back as the audit trail's are; one push job holding a
stream at once, of thirty taking it together
(application/shared_signals/transmitter/ports.py, ``TransmitterStore``)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.events.outbox import OutboxEntries
from application.shared_signals.transmitter.ports import TransmitterStore
from domain.errors import Conflict
from domain.events.outbox import OutboxEntry
from domain.shared_signals.transmitter.streams import PAUSED, POLL, Delivery, Stream, Subject
from tests.fakes.events import FakeOutboxEntries
from tests.support.races import RACERS
from tests.unit.shared_signals.fakes import FakeTransmitterStore

pytestmark = pytest.mark.contract
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
ALICE = Subject("email", (("email", "alice@example.com"),))


@pytest.fixture(params=["fake", "firestore"])
def stores(request: pytest.FixtureRequest) -> tuple[TransmitterStore, OutboxEntries]:
    if request.param == "fake":
        entries = FakeOutboxEntries()
        return FakeTransmitterStore(entries), entries
    from infrastructure.firestore.events.outbox import FirestoreOutboxEntries
    from infrastructure.firestore.shared_signals.transmitter import FirestoreTransmitterStore

    client: Any = request.getfixturevalue("firestore")
    return FirestoreTransmitterStore(client), FirestoreOutboxEntries(client)


def stream(stream_id: str = "s1", client_id: str = "c1") -> Stream:
    return Stream(
        id=stream_id,
        client_id=client_id,
        delivery=Delivery("urn:ietf:rfc:8935", "https://rp.example.com/ssf", "Bearer x"),
        events_requested=("https://schemas.openid.net/secevent/caep/event-type/session-revoked",),
        created_at=NOW,
        description="ours",
    )


def test_only_a_registered_client_is_allowed(stores: tuple[TransmitterStore, Any]) -> None:
    store, _ = stores
    assert not store.client_allowed("c1")
    store.allow_client("c1", NOW)
    assert store.client_allowed("c1") and not store.client_allowed("c2")


def test_a_client_has_one_stream(stores: tuple[TransmitterStore, Any]) -> None:
    store, _ = stores
    assert store.of_client("c1") is None and store.get("s1") is None
    store.create(stream())
    with pytest.raises(Conflict):
        store.create(stream("s2"))
    assert store.of_client("c1") == stream() and store.get("s1") == stream()
    changed = replace(stream(), status=PAUSED, reason="why", delivery=Delivery(POLL, "u"))
    store.save(changed)
    assert store.of_client("c1") == changed and store.get("s2") is None


def test_the_streams_that_follow_an_account(stores: tuple[TransmitterStore, Any]) -> None:
    store, _ = stores
    store.create(stream())
    store.create(stream("s2", "c2"))
    store.add_subject("s1", "c1", "u1", ALICE)
    opaque = Subject("opaque", (("id", "u1"),))
    store.add_subject("s2", "c2", "u1", opaque)
    store.add_subject("s2", "c2", "u2", opaque)
    found = sorted(store.following("u1"), key=lambda pair: pair[0].id)
    assert found == [(stream(), ALICE), (stream("s2", "c2"), opaque)]
    store.remove_subject("s2", "u1")
    assert store.following("u1") == [(stream(), ALICE)]
    store.delete(stream())
    assert store.following("u1") == [] and store.of_client("c1") is None
    store.create(stream("s3", "c1"))  # the client's new stream follows nobody the old did
    assert store.following("u1") == [] and len(store.following("u2")) == 1
    store.add_subject("s3", "c1", "u2", ALICE)
    store.delete_owned_by("u2", 1)  # the account deleted
    assert store.following("u2") == []


def test_a_verification_set_is_read_back_as_the_outboxs(
    stores: tuple[TransmitterStore, OutboxEntries],
) -> None:
    store, entries = stores
    for n in (2, 1):
        store.add_entry(
            OutboxEntry(
                id=f"j{n}",
                kind="ssf",
                key="s1",
                at=NOW + timedelta(seconds=n),
                body=f"set{n}",
                expires_at=NOW + timedelta(days=7),
            )
        )
    assert [entry.body for entry in entries.oldest("s1", 10)] == ["set1", "set2"]
    entries.remove(["j1"])
    assert [entry.id for entry in entries.oldest("s1", 10)] == ["j2"]


def test_one_push_job_holds_a_stream_at_once(stores: tuple[TransmitterStore, Any]) -> None:
    store, _ = stores
    later = NOW + timedelta(minutes=5)
    assert not store.take_push(stream(), "a", NOW, later)  # no such stream
    store.create(stream())
    assert store.take_push(stream(), "a", NOW, later)
    assert not store.take_push(stream(), "b", NOW, later)
    store.save(replace(stream(), status=PAUSED))  # a change of the stream keeps the hold
    assert not store.take_push(stream(), "b", NOW, later)
    store.release_push(stream(), "b")  # not its own: nothing
    assert not store.take_push(stream(), "b", NOW, later)
    assert store.take_push(stream(), "b", later, later + timedelta(minutes=5))  # lapsed
    store.release_push(stream(), "b")
    with ThreadPoolExecutor(RACERS) as pool:
        taken = list(
            pool.map(lambda n: store.take_push(stream(), f"j{n}", NOW, later), range(RACERS))
        )
    assert taken.count(True) == 1
