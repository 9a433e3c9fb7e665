"""The PersonalTokenRepository port and Principals.load_personal, against the fakes and
Firestore (docs/reference/tokens.md)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.accounts.accounts import UserRepository
from application.signin.authentication import Principals
from application.signin.personal_tokens import PersonalTokenRepository
from domain.accounts.credentials import Email, Username
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.signin.active_org import ActiveOrg
from domain.signin.personal_tokens import PersonalToken
from infrastructure.firestore.events.security_events import write_staged
from tests.fakes.accounts import FakePersonalTokens, FakeUserRepository
from tests.fakes.kernel import InMemoryStore
from tests.fakes.signin import FakePrincipals
from tests.support import orgs

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
PARALLEL = 30


@dataclass
class Ports:
    tokens: PersonalTokenRepository
    principals: Principals
    users: UserRepository
    # An org named by its slug with this one member (its id), and their removal: as the org
    # repository's commits leave them
    org: Callable[[str, str], str]
    leave: Callable[[str, str], None]


def _fake_org(store: InMemoryStore, slug: str, user_id: str) -> str:
    org_id = f"org_{slug}_id"
    joined = datetime.now(UTC)
    store.active_orgs[(org_id, user_id)] = ActiveOrg(org_id, slug, ("member",), 1, joined_at=joined)
    return org_id


def _fake_leave(store: InMemoryStore, org_id: str, user_id: str) -> None:
    del store.active_orgs[(org_id, user_id)]


@pytest.fixture(params=["fake", "firestore"])
def ports(request: pytest.FixtureRequest) -> Ports:
    if request.param == "fake":
        store = InMemoryStore()
        return Ports(
            FakePersonalTokens(store),
            FakePrincipals(store),
            FakeUserRepository(store),
            lambda slug, user_id: _fake_org(store, slug, user_id),
            lambda org_id, user_id: _fake_leave(store, org_id, user_id),
        )
    from infrastructure.firestore.accounts.users import FirestoreUserRepository
    from infrastructure.firestore.orgs.membership_reads import OrgMembershipPart
    from infrastructure.firestore.signin.personal_tokens import FirestorePersonalTokens
    from infrastructure.firestore.signin.principals import FirestorePrincipals

    client: Any = request.getfixturevalue("firestore")
    return Ports(
        FirestorePersonalTokens(client),
        FirestorePrincipals(client, orgs=OrgMembershipPart()),
        FirestoreUserRepository(client, write_staged=write_staged),
        lambda slug, user_id: orgs.add_org(client, slug, {user_id: ("member",)}),
        lambda org_id, user_id: orgs.remove_member(client, org_id, user_id),
    )


def account(user_id: str = "u1") -> User:
    return User.register(
        admitted=ALLOWED,
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


def test_an_org_scoped_token_its_account_and_membership_in_one_read(ports: Ports) -> None:
    user = account()
    ports.users.add(user)
    org_id = ports.org("acme", user.id)
    token = replace(make(user, "t" * 22, at=datetime.now(UTC))[0], org_id=org_id)
    ports.tokens.add(token)
    assert ports.tokens.get(token.id) == token  # the org is kept
    found_user, found_token, org = ports.principals.load_personal_in_org(user.id, token.id, org_id)
    assert found_token == token and found_user is not None and found_user.id == user.id
    assert org is not None and (org.id, org.slug, org.roles) == (org_id, "acme", ("member",))
    assert org.admits(org_id, token.created_at)  # joined before the token was made
    ports.leave(org_id, user.id)
    assert ports.principals.load_personal_in_org(user.id, token.id, org_id)[2] is None
    assert ports.principals.load_personal_in_org("nobody", "missing", "org_none") == (
        None,
        None,
        None,
    )


def test_the_orgs_tokens_go_with_it(ports: Ports) -> None:
    user = account()
    for i in range(3):
        ports.tokens.add(replace(make(user, f"{i:022d}")[0], org_id="org_a"))
    other, plain = make(user, "o" * 22)[0], make(user, "p" * 22)[0]
    ports.tokens.add(replace(other, org_id="org_b"))
    ports.tokens.add(plain)
    ports.tokens.delete_owned_by_org("org_a", batch_size=2)
    ports.tokens.delete_owned_by_org("org_a", batch_size=2)  # again: idempotent
    assert {t.id for t in ports.tokens.list_page(user.id, None, 10)} == {other.id, plain.id}
