"""One suite for the LoginLookup port (POST /login's reads), run against the fake and Firestore."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from application.accounts.accounts import UserRepository
from application.signin.login import LoginLookup
from application.signin.throttle import LoginThrottle
from domain.accounts.credentials import Email, Username, fold
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.ids import new_id
from domain.signin.throttling import LoginThrottlePolicy
from infrastructure.firestore.events.security_events import write_staged
from tests.fakes.accounts import FakeUserRepository
from tests.fakes.kernel import InMemoryStore
from tests.fakes.signin import FakeLoginLookup, FakeLoginThrottle

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
POLICY = LoginThrottlePolicy()


@dataclass
class World:
    lookup: LoginLookup
    users: UserRepository
    throttle: LoginThrottle


@pytest.fixture(params=["fake", "firestore"])
def world(request: pytest.FixtureRequest) -> World:
    if request.param == "fake":
        store, throttle = InMemoryStore(), FakeLoginThrottle()
        return World(FakeLoginLookup(store, throttle), FakeUserRepository(store), throttle)
    from infrastructure.firestore.accounts.users import FirestoreUserRepository
    from infrastructure.firestore.signin.login_failures import FirestoreLoginThrottle
    from infrastructure.firestore.signin.login_lookup import FirestoreLoginLookup

    client: Any = request.getfixturevalue("firestore")
    return World(
        FirestoreLoginLookup(
            client, users=FirestoreUserRepository(client, write_staged=write_staged)
        ),
        FirestoreUserRepository(client, write_staged=write_staged),
        FirestoreLoginThrottle(client),
    )


def add_user(world: World, username: str = "Alice") -> User:
    user = User.register(
        admitted=ALLOWED,
        id=new_id(),
        username=Username(username),
        email=Email(f"{username}@Example.com"),
        password_hash="hash",
        now=NOW,
    )
    world.users.add(user)
    return user


def keys(login: str) -> list[str]:
    return [key for key, _ in POLICY.rules_for(fold(login), "192.0.2.1")]


def test_names_and_emails_lead_to_their_user(world: World) -> None:
    user = add_user(world)
    add_user(world, "bob")
    for login in ("Alice", "ALICE", "alice@example.com", "Alice@EXAMPLE.com"):
        found = world.lookup.load(fold(login), keys(login))
        assert found.user_id == user.id, login
        assert found.failures == {}
        assert world.lookup.user(found.user_id) == user


def test_unknown_and_empty_names_find_nobody(world: World) -> None:
    add_user(world)
    for login in ("nobody", "nobody@example.com", "alice@example.org", ""):
        found = world.lookup.load(fold(login), keys(login))
        assert found.user_id is None, login
        assert world.lookup.user(found.user_id) is None
    assert world.lookup.user(new_id()) is None


def test_failure_records_come_with_the_claim(world: World) -> None:
    user = add_user(world)
    rules = POLICY.rules_for("alice", "192.0.2.1")
    counted = world.throttle.reserve(rules, NOW)
    found = world.lookup.load("alice", [key for key, _ in rules] + ["ip:198.51.100.7"])
    assert found.failures == counted.after
    assert found.user_id == user.id
    assert world.lookup.load("alice", []).failures == {}


def test_a_deleted_account_is_not_found(world: World) -> None:
    user = add_user(world)
    assert world.users.mark_deleted(user.id, NOW) is not None
    assert world.lookup.load("alice", keys("alice")).user_id is None  # its claims are released
    assert world.lookup.user(user.id) is None  # and a stale id finds no tombstone


@pytest.mark.parametrize(
    "login", ["a/b@example.com", "__reserved__", "..", "x" * 400, "o'brien|x@example.com"]
)
def test_awkward_login_names_find_nobody_without_error(world: World, login: str) -> None:
    found = world.lookup.load(fold(login), keys(login))
    assert (found.user_id, found.failures) == (None, {})
