"""One suite for the SecurityEvents port, run against the fake and against Firestore."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.accounts.accounts import UserRepository
from application.events.security_events import SecurityEvents, StagedEvents
from application.signin.sessions import SessionRepository
from domain.accounts.credentials import Email, Username
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.errors import Conflict
from domain.events.security_events import SecurityEvent
from domain.ids import new_id
from domain.signin.sessions import Session
from infrastructure.firestore.events.security_events import write_staged
from tests.fakes.accounts import FakeUserRepository
from tests.fakes.events import FakeSecurityEvents
from tests.fakes.kernel import InMemoryStore
from tests.fakes.signin import FakeSessionRepository

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["fake", "firestore"])
def events(request: pytest.FixtureRequest) -> SecurityEvents:
    if request.param == "fake":
        return FakeSecurityEvents()
    from infrastructure.firestore.events.security_events import FirestoreSecurityEvents

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
        session_id="s1",
        actor_id="admin1",
        reason="wrong_password",
    )
    events.add(stored)
    events.add(stored)  # a retried write stores it once
    assert events.list_page("u1", None, None, 10) == [stored]
    assert events.list_page("u2", None, None, 10) == []


def test_a_sign_in_comes_back_with_its_method(events: SecurityEvents) -> None:
    stored = event("u1", "signin.succeeded", 0, reason="k3v9q2m8x1p0a7d4s6f5", method="sso")
    events.add(stored)
    assert events.list_page("u1", None, None, 10) == [stored]


def test_an_orgs_change_comes_back_with_what_made_it(events: SecurityEvents) -> None:
    stored = event("u1", "org.member_removed", 0, reason="scim", org_id="o1", via="scim")
    events.add(stored)
    assert events.list_page("u1", None, None, 10) == [stored]


def test_support_access_comes_back_with_whom_and_how_long(events: SecurityEvents) -> None:
    """The admin's own record names the person; the start says its minutes
    (docs/support-access.md)."""
    person = event("u1", "impersonation.started", 0, actor_id="a1", reason="Ticket", minutes=20)
    admin = event("a1", "impersonation.started", 0, subject_id="u1", reason="Ticket", minutes=20)
    for stored in (person, admin):
        events.add(stored)
    assert events.list_page("u1", None, None, 10) == [person]
    assert events.list_page("a1", None, None, 10) == [admin]


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


def test_an_orgs_events_are_its_audit_log_newest_first(events: SecurityEvents) -> None:
    theirs = [
        event(f"u{i}", kind, i, org_id="org1", actor_id="u0")
        for i, kind in enumerate(["org.created", "org.member_added", "org.member_added"])
    ]
    same_time = [event("u5", "org.updated", 9, org_id="org1") for _ in range(2)]
    for e in [*theirs, *same_time, event("u1", "org.created", 5, org_id="org2")]:
        events.add(e)
    events.add(event("u1", "signin.succeeded", 7))
    everything = events.list_org_page("org1", None, 10)
    assert everything == sorted([*theirs, *same_time], key=lambda e: (e.at, e.id), reverse=True)
    first = events.list_org_page("org1", None, 2)
    rest = events.list_org_page("org1", (first[-1].at, first[-1].id), 10)
    assert first + rest == everything
    assert events.list_page("u1", None, None, 10)[-1] == theirs[1]  # the member's own too
    assert events.list_org_page("org3", None, 10) == []


@dataclass
class Commits:
    """The repositories whose commits carry staged events, and where the events are read."""

    users: UserRepository
    sessions: SessionRepository
    events: SecurityEvents


@pytest.fixture(params=["fake", "firestore"])
def commits(request: pytest.FixtureRequest) -> Commits:
    if request.param == "fake":
        store = InMemoryStore()
        return Commits(
            FakeUserRepository(store), FakeSessionRepository(store), FakeSecurityEvents(store)
        )
    from infrastructure.firestore.accounts.users import FirestoreUserRepository
    from infrastructure.firestore.events.security_events import FirestoreSecurityEvents
    from infrastructure.firestore.signin.sessions import FirestoreSessionRepository

    client: Any = request.getfixturevalue("firestore")
    return Commits(
        FirestoreUserRepository(client, write_staged=write_staged),
        FirestoreSessionRepository(client, write_staged=write_staged),
        FirestoreSecurityEvents(client),
    )


def test_events_staged_with_a_new_session_are_stored_with_it(commits: Commits) -> None:
    session = Session.start(
        id=new_id(),
        user_id="u1",
        token_version=0,
        refresh_hash="h",
        now=NOW,
        lifetime=timedelta(days=1),
        user_agent="Firefox",
        amr=("pwd",),
    )
    staged = StagedEvents(
        events=(
            event("u1", "signin.succeeded", 0, ip="192.0.2.7"),
            event("u1", "signin.failed", 1),
        )
    )
    commits.sessions.add(session, staged)
    assert commits.sessions.get(session.id) == session
    newest_first = list(reversed(staged.events))
    assert commits.events.list_page("u1", None, None, 10) == newest_first
    commits.sessions.add(session, staged)  # a retried commit that had succeeded: once
    assert commits.events.list_page("u1", None, None, 10) == newest_first


def test_events_staged_with_a_sign_up_exist_only_if_the_account_does(commits: Commits) -> None:
    def user(username: str) -> User:
        return User.register(
            admitted=ALLOWED,
            id=new_id(),
            username=Username(username),
            email=Email(f"{username}@example.com"),
            password_hash="hash",
            now=NOW,
        )

    alice, taken = user("alice"), user("alice")
    created = StagedEvents(events=(event(alice.id, "user.created", 0),))
    commits.users.add(alice, created)
    assert commits.events.list_page(alice.id, None, None, 10) == list(created.events)
    with pytest.raises(Conflict):
        commits.users.add(taken, StagedEvents(events=(event(taken.id, "user.created", 0),)))
    assert commits.users.get(taken.id) is None
    assert commits.events.list_page(taken.id, None, None, 10) == []  # nothing invented
