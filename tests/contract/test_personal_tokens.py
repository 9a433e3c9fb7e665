"""The PersonalTokenRepository port and Principals.load_personal, against the fakes and
Firestore (docs/reference/tokens.md)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.accounts.accounts import UserRepository
from application.accounts.authentication import Principals
from application.signin.personal_tokens import PersonalTokenRepository
from domain.accounts.users import Email, User, Username
from domain.signin.personal_tokens import PersonalToken
from tests.fakes.accounts import FakePersonalTokens, FakeUserRepository
from tests.fakes.kernel import InMemoryStore
from tests.fakes.signin import FakePrincipals

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
PARALLEL = 30


@dataclass
class Ports:
    tokens: PersonalTokenRepository
    principals: Principals
    users: UserRepository


@pytest.fixture(params=["fake", "firestore"])
def ports(request: pytest.FixtureRequest) -> Ports:
    if request.param == "fake":
        store = InMemoryStore()
        return Ports(FakePersonalTokens(store), FakePrincipals(store), FakeUserRepository(store))
    from infrastructure.firestore.accounts.users import FirestorePrincipals, FirestoreUserRepository
    from infrastructure.firestore.signin.personal_tokens import FirestorePersonalTokens

    client: Any = request.getfixturevalue("firestore")
    return Ports(
        FirestorePersonalTokens(client),
        FirestorePrincipals(client),
        FirestoreUserRepository(client),
    )


def account(user_id: str = "u1") -> User:
    return User.register(
        id=user_id,
        username=Username(f"user{user_id}"),
        email=Email(f"{user_id}@example.com"),
        password_hash=None,
        now=NOW,
    )


def make(user: User, token_id: str, *, at: datetime = NOW) -> tuple[PersonalToken, str]:
    return PersonalToken.issue(
        id=token_id, user=user, name="ci", scopes=["read", "write"], expires_in=3600, now=at
    )


def test_round_trip(ports: Ports) -> None:
    token, _ = make(account(), "t" * 22)
    ports.tokens.add(token)
    assert ports.tokens.get(token.id) == token
    assert ports.tokens.get("missing") is None


def test_a_token_and_its_account_in_one_read(ports: Ports) -> None:
    user = account()
    ports.users.add(user)
    token, _ = make(user, "t" * 22)
    ports.tokens.add(token)
    found_user, found_token = ports.principals.load_personal(user.id, token.id)
    assert found_token == token
    assert found_user is not None and found_user.id == user.id
    assert ports.principals.load_personal("nobody", "missing") == (None, None)


def test_newest_first_in_pages_of_the_callers_own(ports: Ports) -> None:
    user, other = account("u1"), account("u2")
    made = [make(user, f"{i:022d}", at=NOW + timedelta(seconds=i))[0] for i in range(5)]
    for token in made:
        ports.tokens.add(token)
    ports.tokens.add(make(other, "o" * 22)[0])
    first = ports.tokens.list_page(user.id, None, 3)
    assert [t.id for t in first] == [t.id for t in reversed(made)][:3]
    rest = ports.tokens.list_page(user.id, (first[-1].created_at, first[-1].id), 3)
    assert [t.id for t in rest] == [made[1].id, made[0].id]


def test_of_thirty_removals_at_once_one_removes(ports: Ports) -> None:
    token, _ = make(account(), "t" * 22)
    ports.tokens.add(token)
    with ThreadPoolExecutor(PARALLEL) as pool:
        removed = list(pool.map(lambda _: ports.tokens.remove(token.id), range(PARALLEL)))
    assert removed.count(True) == 1
    assert ports.tokens.get(token.id) is None
    assert ports.tokens.remove(token.id) is False


def test_the_accounts_tokens_go_with_it(ports: Ports) -> None:
    user, other = account("u1"), account("u2")
    for i in range(3):
        ports.tokens.add(make(user, f"{i:022d}")[0])
    kept = make(other, "o" * 22)[0]
    ports.tokens.add(kept)
    ports.tokens.delete_owned_by(user.id, batch_size=2)
    assert ports.tokens.list_page(user.id, None, 10) == []
    assert ports.tokens.get(kept.id) == kept
