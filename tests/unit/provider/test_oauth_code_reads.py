"""A code names its account, so an exchange reads the code and the account in one round trip;
a code made before codes named their account is read the earlier way, in two
(application/provider/grants.py, docs/decisions/0269-a-code-names-its-account.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from application.provider.grants import CodesAndGrants, PresentedCode, SpendCode, new_code
from application.provider.ports import OAuthPolicy
from domain.accounts.credentials import Email, Username
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.clients.oauth import digest
from domain.provider.grants import AuthorizationCode
from tests.fakes.accounts import FakeUserRepository
from tests.fakes.events import RecordingAuditLog
from tests.fakes.kernel import FakeClock, InMemoryStore
from tests.fakes.provider import FakeGrantHolders, FakeOAuthGrants

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


class Reads:
    """The fakes, counting the reads a presented code makes."""

    def __init__(self) -> None:
        self.store = InMemoryStore()
        self.grants = CountedGrants(self.store)
        self.users = CountedUsers(self.store)
        self.holders = CountedHolders(self.grants, self.store)
        self.clock = FakeClock(NOW)
        self.audit = RecordingAuditLog()
        self.alice = User.register(
            admitted=ALLOWED,
            id="u1alice",
            username=Username("alice"),
            email=Email("alice@example.com"),
            password_hash="h",
            now=NOW,
        )
        self.users.add(self.alice)

    def save(self, code: str, user_id: str = "u1alice") -> None:
        self.grants.add_code(
            AuthorizationCode(
                hash=digest(code),
                client_id="c1",
                user_id=user_id,
                grant_id="g-" + code[-6:],
                redirect_uri="https://app.example.com/cb",
                scope="openid",
                code_challenge="c" * 43,
                code_challenge_method="S256",
                created_at=NOW,
                auth_time=NOW,
            )
        )

    def present(self, code: str) -> PresentedCode | None:
        codes = CodesAndGrants(
            grants=self.grants,
            users=self.users,
            holders=self.holders,
            clock=self.clock,
            audit=self.audit,
            policy=OAuthPolicy(),
        )
        return codes.present_code(SpendCode(code, "c1"))


class CountedGrants(FakeOAuthGrants):
    reads = 0

    def get_code(self, code_hash: str) -> AuthorizationCode | None:
        self.reads += 1
        return super().get_code(code_hash)


class CountedUsers(FakeUserRepository):
    reads = 0

    def get(self, user_id: str) -> User | None:
        self.reads += 1
        return super().get(user_id)


class CountedHolders(FakeGrantHolders):
    reads = 0

    def load_code(
        self, code_hash: str, user_id: str
    ) -> tuple[AuthorizationCode | None, User | None]:
        self.reads += 1
        return super().load_code(code_hash, user_id)


def round_trips(world: Reads) -> int:
    return world.grants.reads + world.users.reads + world.holders.reads


def test_a_code_names_its_account_and_is_read_with_it_in_one_round_trip() -> None:
    world = Reads()
    code = new_code(world.alice.id)
    assert code.startswith("u1alice.") and len(code) > len("u1alice.") + 40
    world.save(code)

    presented = world.present(code)

    assert presented is not None and presented.account == world.alice
    assert (world.holders.reads, round_trips(world)) == (1, 1)


def test_a_code_made_before_codes_named_their_account_is_still_exchanged() -> None:
    world = Reads()
    world.save("an-older-code-without-a-name-0123456789")

    presented = world.present("an-older-code-without-a-name-0123456789")

    assert presented is not None and presented.account == world.alice
    assert (world.grants.reads, world.users.reads, world.holders.reads) == (1, 1, 0)


def test_a_code_whose_named_account_is_disabled_or_gone_is_refused_and_spent() -> None:
    world = Reads()
    code = new_code(world.alice.id)
    world.save(code)
    world.store.users[world.alice.id] = replace(world.alice, disabled=True)

    assert world.present(code) is None
    stored = world.grants.codes[digest(code)]
    assert stored.spent  # refused once, refused for good

    gone = new_code("u2gone")
    world.save(gone, user_id="u2gone")
    assert world.present(gone) is None


def test_an_account_named_in_the_text_is_not_trusted_over_the_stored_code() -> None:
    world = Reads()
    bob = replace(world.alice, id="u2bob", username=Username("bob"), email=Email("b@example.com"))
    world.users.add(bob)
    code = "u2bob." + "x" * 43  # names bob, but was stored for alice
    world.save(code, user_id="u1alice")

    presented = world.present(code)

    assert presented is not None and presented.account == world.alice


def test_a_code_for_no_account_id_is_only_random() -> None:
    assert "." not in new_code("") and len(new_code("")) >= 43
