"""One suite for the units' outbox entries: written in the event's commit (alone, or staged
in a change's), read back a destination's oldest first, removed; against the fakes and
against Firestore."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.events.outbox import OutboxEntries
from application.events.security_events import SecurityEvents, StagedEvents
from domain.events.outbox import OutboxEntry
from domain.events.security_events import SecurityEvent
from domain.ids import new_id
from tests.fakes.events import FakeOutboxEntries, FakeSecurityEvents
from tests.fakes.kernel import InMemoryStore

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@dataclass
class Ports:
    events: SecurityEvents
    entries: OutboxEntries
    commit: Any  # commits a StagedEvents as a change's commit does


@pytest.fixture(params=["fake", "firestore"])
def ports(request: pytest.FixtureRequest) -> Ports:
    if request.param == "fake":
        store = InMemoryStore()
        return Ports(FakeSecurityEvents(store), FakeOutboxEntries(store), store.commit_staged)
    from infrastructure.firestore.events.outbox import FirestoreOutboxEntries
    from infrastructure.firestore.events.security_events import (
        FirestoreSecurityEvents,
        write_staged,
    )

    client: Any = request.getfixturevalue("firestore")

    def commit(staged: StagedEvents) -> None:
        batch = client.batch()
        write_staged(client, batch, staged)
        batch.commit()

    return Ports(FirestoreSecurityEvents(client), FirestoreOutboxEntries(client), commit)


def entry(key: str, seconds: int = 0, **fields: Any) -> OutboxEntry:
    values: dict[str, Any] = {
        "id": new_id(),
        "kind": "streams",
        "key": key,
        "at": NOW + timedelta(seconds=seconds),
        "body": f'{{"n":{seconds}}}',
    }
    return OutboxEntry(**(values | fields))


def event() -> SecurityEvent:
    return SecurityEvent(id=new_id(), at=NOW, type="user.created", user_id="u1")


def test_entries_written_with_the_event_come_back_oldest_first_per_key(ports: Ports) -> None:
    later, earlier, other = entry("s1", 5), entry("s1", 1), entry("s2", 0)
    expiring = entry("s1", 3, expires_at=NOW + timedelta(days=3))
    ports.events.add(event(), (), (later, earlier, other))
    ports.commit(StagedEvents(events=(event(),), entries=(expiring,)))

    assert ports.entries.oldest("s1", 10) == [earlier, expiring, later]
    assert ports.entries.oldest("s1", 2) == [earlier, expiring]
    assert ports.entries.oldest("s2", 10) == [other]
    assert ports.entries.oldest("s3", 10) == []


def test_entries_of_one_time_come_back_in_id_order(ports: Ports) -> None:
    made = [entry("s1", 0) for _ in range(5)]
    ports.events.add(event(), (), made)

    assert ports.entries.oldest("s1", 10) == sorted(made, key=lambda e: e.id)


def test_removed_entries_are_gone_and_a_missing_id_is_no_error(ports: Ports) -> None:
    first, second, third = entry("s1", 1), entry("s1", 2), entry("s2", 3)
    ports.events.add(event(), (), (first, second, third))

    ports.entries.remove([first.id, "no-such-entry"])
    assert ports.entries.oldest("s1", 10) == [second]

    assert ports.entries.remove_key("s1") == 1
    assert ports.entries.oldest("s1", 10) == []
    assert ports.entries.oldest("s2", 10) == [third]
    assert ports.entries.remove_key("s1") == 0
