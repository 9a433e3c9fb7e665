"""The units' event outboxes (log streams, shared signals): each one's entries of a stored
event go in the event's commit, and each is handed only its own once that commit is made."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from application.events.security_events import StoringAuditLog, staged_events
from application.ports import Audit, AuditEvent
from domain.events.outbox import OutboxEntry
from domain.events.security_events import SecurityEvent
from domain.ids import new_id
from tests.fakes.events import FakeOutboxEntries, FakeSecurityEvents, RecordingAuditLog
from tests.fakes.kernel import FakeClock, InMemoryStore

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@dataclass
class Sends:
    """An outbox that sends every event of ``user_id`` on to ``key``."""

    kind: str
    key: str
    user_id: str = "u1"
    handed: list[OutboxEntry] = field(default_factory=list)

    def entries(self, event: SecurityEvent) -> Sequence[OutboxEntry]:
        if event.user_id != self.user_id:
            return ()
        made = OutboxEntry(id=new_id(), kind=self.kind, key=self.key, at=event.at, body=event.type)
        return (made,)

    def stored(self, entries: Sequence[OutboxEntry]) -> None:
        self.handed += entries


class Broken(Sends):
    def entries(self, event: SecurityEvent) -> Sequence[OutboxEntry]:
        raise RuntimeError("broken")


def trail(*outboxes: Sends) -> tuple[StoringAuditLog, InMemoryStore]:
    store = InMemoryStore()
    events = FakeSecurityEvents(store)
    return StoringAuditLog(RecordingAuditLog(), events, FakeClock(NOW), outboxes=outboxes), store


def test_staged_entries_are_committed_with_the_event_and_each_outbox_gets_its_own() -> None:
    streams, signals = Sends("streams", "s1"), Sends("signals", "t1")
    log, store = trail(streams, signals)

    staged = log.stage([AuditEvent(Audit.LOGIN, user_id=uid) for uid in ("u1", "u2")])
    assert streams.handed == signals.handed == []  # nothing before the commit
    store.commit_staged(staged)
    log.committed(staged)

    entries = staged_events(staged).entries
    assert sorted(e.kind for e in entries) == ["signals", "streams"]  # u2's: no destination
    assert set(store.event_outbox.values()) == set(entries)
    assert [e.key for e in streams.handed] == ["s1"]
    assert [e.key for e in signals.handed] == ["t1"]
    assert [e.body for e in FakeOutboxEntries(store).oldest("s1", 5)] == ["signin.succeeded"]


def test_a_recorded_event_stores_its_entries_in_its_own_commit() -> None:
    streams = Sends("streams", "s1")
    log, store = trail(streams)

    log.record(AuditEvent(Audit.PASSWORD_CHANGE, user_id="u1"))
    log.record(AuditEvent(Audit.MAIL, user_id="u1"))  # stored as no security event: no entry

    assert [e.body for e in store.event_outbox.values()] == ["password.changed"]
    assert streams.handed == list(store.event_outbox.values())


def test_an_outbox_that_fails_loses_only_its_own_entries(caplog: pytest.LogCaptureFixture) -> None:
    streams = Sends("streams", "s1")
    log, store = trail(Broken("signals", "t1"), streams)

    with caplog.at_level(logging.WARNING, logger="firegate.events"):
        staged = log.stage([AuditEvent(Audit.LOGIN, user_id="u1")])
        log.record(AuditEvent(Audit.PASSWORD_CHANGE, user_id="u1"))

    assert [e.kind for e in staged_events(staged).entries] == ["streams"]
    assert [e.type for e in staged_events(staged).events] == ["signin.succeeded"]
    assert [e.body for e in store.event_outbox.values()] == ["password.changed"]
    assert "signals outbox: signin.succeeded not sent on (RuntimeError)" in caplog.text
    assert log.failed_writes == 0
