"""Refresh on the emulator: the stored session does not grow with its rotations, and a
session stored in the shape before (its spent hashes listed) still refreshes and still
knows its replays (docs/decisions/0250-refresh-in-one-read-and-a-small-write.md)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import pytest

from application.signin.sessions import Refresh, Sessions
from application.signin.sign_in import start_session
from application.signin.tokens import TokenPair, TokenPolicy
from domain.accounts.credentials import Email, Username
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.errors import Unauthenticated
from domain.ids import new_id
from infrastructure.firestore.accounts.users import SESSIONS, FirestoreUserRepository
from infrastructure.firestore.events.security_events import write_staged
from infrastructure.firestore.orgs.membership_reads import FirestoreActiveOrgs
from infrastructure.firestore.signin.sessions import FirestoreSessionRepository
from infrastructure.signin.jwt_tokens import PyJWTTokenIssuer, SigningKey
from tests.fakes.claims import CLAIMS
from tests.fakes.events import RecordingAuditLog
from tests.fakes.kernel import FakeClock

pytestmark = pytest.mark.integration


def stored_size(value: Any) -> int:
    """Bytes a field's value takes in Firestore's storage-size rules (strings: UTF-8 and
    one; numbers, timestamps: 8; null, booleans: 1; arrays and maps: their parts)."""
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, str):
        return len(value.encode()) + 1
    if isinstance(value, int | float | datetime):
        return 8
    if isinstance(value, list):
        return sum(stored_size(item) for item in value)
    if isinstance(value, dict):
        return sum(stored_size(key) + stored_size(item) for key, item in value.items())
    raise TypeError(type(value))


class World:
    def __init__(self, firestore: Any) -> None:
        self.firestore = firestore
        self.users = FirestoreUserRepository(firestore, write_staged=write_staged)
        self.sessions = FirestoreSessionRepository(firestore, write_staged=write_staged)
        self.clock = FakeClock()
        self.token_policy = TokenPolicy(claims=CLAIMS)
        self.audit = RecordingAuditLog()
        self.tokens = PyJWTTokenIssuer(
            signing=SigningKey("HS256", b"k" * 32),
            issuer="iss",
            audience="aud",
            ttl=timedelta(minutes=15),
        )
        self.user = User.register(
            admitted=ALLOWED,
            id=new_id(),
            username=Username("alice"),
            email=Email("alice@example.com"),
            password_hash="hash",
            now=self.clock.now(),
        )
        self.users.add(self.user)

    def login(self) -> TokenPair:
        return start_session(
            self.user,
            user_agent="ua",
            sessions=self.sessions,
            tokens=self.tokens,
            clock=self.clock,
            policy=self.token_policy,
            amr=("pwd",),
        )

    def refresh(self, token: str) -> TokenPair:
        sessions = Sessions(
            users=self.users,
            sessions=self.sessions,
            tokens=self.tokens,
            clock=self.clock,
            policy=self.token_policy,
            audit=self.audit,
            orgs=FirestoreActiveOrgs(self.firestore),
        )
        return sessions.refresh(Refresh(token))

    def document(self, session_id: str) -> dict[str, Any]:
        snap = self.firestore.collection(SESSIONS).document(session_id).get()
        data: dict[str, Any] = snap.to_dict() or {}
        return data


def test_the_stored_session_does_not_grow_with_its_rotations(firestore: Any) -> None:
    world = World(firestore)
    pair = world.login()
    session_id = pair.refresh_token.split(".")[0]
    sizes: dict[int, int] = {}
    for rotation in range(1, 201):
        world.clock.advance(seconds=20)
        pair = world.refresh(pair.refresh_token)
        if rotation in (1, 10, 200):
            sizes[rotation] = stored_size(world.document(session_id))
    assert sizes[1] == sizes[10] == sizes[200], sizes
    stored = world.document(session_id)
    assert stored["rotations"] == 200 and "spent" not in stored
    assert pair.refresh_token.split(".")[2] == "200"


def secret(letter: str) -> str:
    return letter * 43


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize("replayed", ["listed", "spent_after_the_deploy"])
def test_a_session_stored_with_its_spent_list_refreshes_and_knows_its_replays(
    firestore: Any, replayed: str
) -> None:
    world = World(firestore)
    session_id, now = new_id(), world.clock.now()
    listed = [
        {"hash": sha256(secret(c)), "at": now - timedelta(minutes=m)}
        for c, m in (("a", 9), ("b", 5))
    ]
    old = {  # as sessions were stored before, with tokens of the untagged form
        "user_id": world.user.id,
        "token_version": world.user.token_version,
        "created_at": now - timedelta(hours=1),
        "last_used_at": now - timedelta(minutes=5),
        "expires_at": now + timedelta(days=29),
        "refresh_hashes": [sha256(secret("c"))],
        "spent": listed,
        "user_agent": "ua",
        "revoked_at": None,
        "amr": ["pwd"],
    }
    firestore.collection(SESSIONS).document(session_id).set(old)
    current = f"{session_id}.{secret('c')}"

    pair = world.refresh(current)  # refreshes once
    assert pair.refresh_token.split(".")[2] == "1"
    stored = world.document(session_id)
    assert stored["spent"] == listed, "the list is read, never written"
    assert stored["rotations"] == 1 and stored["spent_untagged"] == sha256(secret("c"))
    world.clock.advance(seconds=3)
    assert world.refresh(current).refresh_token == pair.refresh_token  # the grace window
    world.clock.advance(seconds=30)
    newest = world.refresh(pair.refresh_token)  # the chain moves on
    world.clock.advance(seconds=30)

    with pytest.raises(Unauthenticated) as info:
        world.refresh(f"{session_id}.{secret('b')}" if replayed == "listed" else current)
    assert info.value.code == "refresh_token_reused"
    with pytest.raises(Unauthenticated) as info:
        world.refresh(newest.refresh_token)  # the session is ended
    assert info.value.code == "invalid_refresh_token"
    assert world.document(session_id)["revoked_at"] is not None


def test_a_session_stores_its_org_only_once_it_has_one(firestore: Any) -> None:
    world = World(firestore)
    session_id = world.login().refresh_token.split(".")[0]
    assert "org_id" not in world.document(session_id)  # no more than before orgs
    assert world.sessions.set_org(session_id, "org1", world.clock.now())
    assert world.document(session_id)["org_id"] == "org1"
    found = world.sessions.get(session_id)
    assert found is not None and found.org_id == "org1"
    assert world.sessions.set_org(session_id, None, world.clock.now())
    found = world.sessions.get(session_id)
    assert found is not None and found.org_id is None
    world.sessions.delete(session_id)
    assert not world.sessions.set_org(session_id, "org1", world.clock.now())
