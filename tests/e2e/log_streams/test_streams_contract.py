"""One suite for the log streams' store and setup links, in memory (the fakes) and on
Firestore: an org's 3 places taken by 30 adds at once (exactly 3 win, the rest
``too_many_streams``), a place freed by a deletion, a lease one worker holds, a change,
the delivery log newest first, a link spent once of 30 tries at once
(application/log_streams/store.py)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.log_streams.store import StreamLink, StreamLinks, StreamStore
from domain.errors import Conflict
from domain.ids import new_id
from domain.log_streams.streams import (
    LogStream,
    StreamDelivery,
    StreamFormat,
    StreamKind,
    StreamState,
)
from tests.unit.log_streams.fakes import FakeStreamLinks, FakeStreams

pytestmark = pytest.mark.contract
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["fake", "firestore"])
def stores(request: pytest.FixtureRequest) -> tuple[StreamStore, StreamLinks]:
    if request.param == "fake":
        return FakeStreams(), FakeStreamLinks()
    from infrastructure.firestore.log_streams.streams import (
        FirestoreStreamLinks,
        FirestoreStreams,
    )

    client: Any = request.getfixturevalue("firestore")
    return FirestoreStreams(client), FirestoreStreamLinks(client)


def stream(org_id: str) -> LogStream:
    return LogStream(
        id=new_id(),
        org_id=org_id,
        kind=StreamKind.SYSLOG,
        format=StreamFormat.OCSF,
        target={"host": "siem.example.com", "port": 6514},
        created_at=NOW,
    )


def test_thirty_adds_at_once_take_the_three_places_and_a_deletion_frees_one(
    stores: tuple[StreamStore, StreamLinks],
) -> None:
    store, _ = stores
    org_id = new_id()
    barrier = threading.Barrier(30)

    def add(_: int) -> str:
        barrier.wait()
        try:
            store.add(stream(org_id), 3)
        except Conflict as error:
            return error.code
        return "added"

    with ThreadPoolExecutor(30) as pool:
        outcomes = Counter(pool.map(add, range(30)))
    assert outcomes == Counter({"added": 3, "too_many_streams": 27})
    held = store.of_org(org_id)
    assert len(held) == 3 and held[0] == store.get(held[0].id)
    assert {s.id for s in store.active()} >= {s.id for s in held}
    assert store.delete(held[0].id) and not store.delete(held[0].id)
    store.add(stream(org_id), 3)
    with pytest.raises(Conflict):
        store.add(stream(org_id), 3)


def test_a_lease_is_one_workers_and_a_change_is_stored(
    stores: tuple[StreamStore, StreamLinks],
) -> None:
    store, _ = stores
    made = stream(new_id())
    store.add(made, 3)
    until = NOW + timedelta(minutes=5)
    leased = store.lease(made.id, NOW, until)
    assert leased is not None and leased.health.lease_until == until
    assert store.lease(made.id, NOW, until) is None  # held
    failed = store.change(made.id, lambda s: s.failed(NOW))
    assert failed is not None and failed.health.failures == 1
    assert store.get(made.id) == failed
    assert store.lease(made.id, NOW, until) is None  # its retry is not due
    due = failed.health.retry_at
    assert due is not None and store.lease(made.id, due, due + timedelta(minutes=5))
    paused = store.change(made.id, lambda s: s.failed(NOW + timedelta(hours=80)))
    assert paused is not None and paused.state is StreamState.PAUSED
    assert made.id not in {s.id for s in store.active()}
    assert store.change("gone" + made.id[4:], lambda s: s) is None


def test_the_delivery_log_is_newest_first(stores: tuple[StreamStore, StreamLinks]) -> None:
    store, _ = stores
    made = stream(new_id())
    lines = [
        StreamDelivery(new_id(), made.id, NOW + timedelta(seconds=i), i, i % 2 == 0, None)
        for i in range(4)
    ]
    for line in lines:
        store.record(line)
    store.record(StreamDelivery(new_id(), new_id(), NOW, 1, True))  # another stream's
    assert store.deliveries(made.id, 3) == lines[::-1][:3]


def test_a_link_is_spent_once(stores: tuple[StreamStore, StreamLinks]) -> None:
    _, links = stores
    link = StreamLink(new_id(), new_id(), "u1", NOW, NOW + timedelta(days=7))
    links.put(link)
    assert links.get(link.hashed) == link
    barrier = threading.Barrier(30)

    def spend(_: int) -> bool:
        barrier.wait()
        return links.spend(link.hashed, NOW) is not None

    with ThreadPoolExecutor(30) as pool:
        assert sorted(pool.map(spend, range(30))) == [False] * 29 + [True]
    links.unspend(link.hashed)
    assert links.spend(link.hashed, NOW + timedelta(days=8)) is None  # expired
    assert links.spend(link.hashed, NOW) is not None
