"""One suite for the SecurityEvents port, run against the fake and against Firestore."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.events import SecurityEvent, SecurityEvents
from domain.ids import new_id
from tests.fakes import FakeSecurityEvents

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["fake", "firestore"])
def events(request: pytest.FixtureRequest) -> SecurityEvents:
    if request.param == "fake":
        return FakeSecurityEvents()
    from infrastructure.firestore.security_events import FirestoreSecurityEvents

    client: Any = request.getfixturevalue("firestore")
    return FirestoreSecurityEvents(client)


def event(user_id: str, kind: str, seconds: int, **fields: Any) -> SecurityEvent:
    return SecurityEvent(
        id=new_id(), at=NOW + timedelta(seconds=seconds), type=kind, user_id=user_id, **fields
    )


def test_an_event_comes_back_as_stored(events: SecurityEvents) -> None:
    stored = event(
        "u1",
        "signin.failed",
        0,
        outcome="failure",
        ip="192.0.2.7",
        user_agent="Firefox",
        device_id="d1",
        actor_id="admin1",
        reason="wrong_password",
    )
    events.add(stored)
    events.add(stored)  # a retried write stores it once
    assert events.list_page("u1", None, None, 10) == [stored]
    assert events.list_page("u2", None, None, 10) == []


def test_newest_first_per_user_with_a_type_filter(events: SecurityEvents) -> None:
    mine = [event("u1", kind, i) for i, kind in enumerate(["user.created", "signin.failed"] * 2)]
    for e in [*mine, event("u2", "signin.failed", 9)]:
        events.add(e)
    newest_first = sorted(mine, key=lambda e: (e.at, e.id), reverse=True)
    assert events.list_page("u1", None, None, 10) == newest_first
    assert events.list_page("u1", "signin.failed", None, 10) == [
        e for e in newest_first if e.type == "signin.failed"
    ]


def test_pages_continue_before_a_position_ties_broken_by_id(events: SecurityEvents) -> None:
    same_time = [event("u1", "signin.succeeded", 0) for _ in range(3)]
    for e in [*same_time, event("u1", "session.ended", 1)]:
        events.add(e)
    everything = events.list_page("u1", None, None, 10)
    assert [e.type for e in everything] == ["session.ended"] + ["signin.succeeded"] * 3
    assert [e.id for e in everything[1:]] == sorted((e.id for e in same_time), reverse=True)
    first = events.list_page("u1", None, None, 2)
    rest = events.list_page("u1", None, (first[-1].at, first[-1].id), 10)
    assert first + rest == everything
    tail = events.list_page("u1", "signin.succeeded", (everything[2].at, everything[2].id), 10)
    assert tail == everything[3:]
