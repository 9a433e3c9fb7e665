"""The PasskeyRepository and ChallengeRepository ports, run against the fakes and Firestore."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.signin.factors.passkeys import ChallengeRepository, PasskeyRepository
from domain.errors import Conflict, Unauthenticated
from domain.signin.passkeys import Ceremony, Challenge, Passkey
from tests.fakes.signin import FakeChallengeRepository, FakePasskeyRepository

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
PARALLEL = 30


@pytest.fixture(params=["fake", "firestore"])
def passkeys(request: pytest.FixtureRequest) -> PasskeyRepository:
    if request.param == "fake":
        return FakePasskeyRepository()
    from infrastructure.firestore.signin.passkeys import FirestorePasskeyRepository

    client: Any = request.getfixturevalue("firestore")
    return FirestorePasskeyRepository(client)


@pytest.fixture(params=["fake", "firestore"])
def challenges(request: pytest.FixtureRequest) -> ChallengeRepository:
    if request.param == "fake":
        return FakeChallengeRepository()
    from infrastructure.firestore.signin.passkeys import FirestoreChallengeRepository

    client: Any = request.getfixturevalue("firestore")
    return FirestoreChallengeRepository(client)


def make(user_id: str = "u1", credential: bytes = b"cred-1", *, at: datetime = NOW) -> Passkey:
    return Passkey.create(
        user_id=user_id,
        credential_id=credential,
        public_key=b"\xa5\x01\x02 cose",
        sign_count=3,
        name="laptop",
        now=at,
        backed_up=True,
        transports=("internal", "hybrid"),
    )


def test_round_trip(passkeys: PasskeyRepository) -> None:
    passkey = make()
    passkeys.add(passkey)
    assert passkeys.get(passkey.id) == passkey
    assert passkeys.get("missing") is None


def test_a_credential_is_stored_once(passkeys: PasskeyRepository) -> None:
    passkeys.add(make())
    with pytest.raises(Conflict) as info:
        passkeys.add(make(user_id="u2"))
    assert info.value.code == "passkey_exists"


def test_list_is_the_users_oldest_first(passkeys: PasskeyRepository) -> None:
    newer = make(credential=b"b", at=NOW + timedelta(minutes=1))
    older = make(credential=b"a")
    for passkey in (newer, older, make("u2", b"c")):
        passkeys.add(passkey)
    assert passkeys.list_for_user("u1", 10) == [older, newer]
    assert passkeys.list_for_user("u1", 1) in ([older], [newer])
    assert passkeys.list_for_user("nobody", 10) == []


def test_update_applies_a_change_or_lets_its_error_through(passkeys: PasskeyRepository) -> None:
    passkey = make()
    passkeys.add(passkey)
    later = NOW + timedelta(minutes=1)
    after = passkeys.update(passkey.id, lambda p: p.signed_in(4, later, backed_up=True))
    assert after is not None and after.sign_count == 4 and after.last_used_at == later
    assert passkeys.get(passkey.id) == after
    with pytest.raises(Unauthenticated):
        passkeys.update(passkey.id, lambda p: p.signed_in(4, later))
    assert passkeys.get(passkey.id) == after
    assert passkeys.update("missing", lambda p: p) is None


def test_one_counter_value_moves_the_counter_once(passkeys: PasskeyRepository) -> None:
    passkey = make()
    passkeys.add(passkey)
    barrier = threading.Barrier(PARALLEL)

    def sign_in(_: int) -> bool:
        barrier.wait()
        try:
            passkeys.update(passkey.id, lambda p: p.signed_in(4, NOW))
        except Unauthenticated:
            return False
        return True

    with ThreadPoolExecutor(PARALLEL) as pool:
        results = list(pool.map(sign_in, range(PARALLEL)))
    assert results.count(True) == 1
    stored = passkeys.get(passkey.id)
    assert stored is not None and stored.sign_count == 4


def test_delete_and_delete_owned_by(passkeys: PasskeyRepository) -> None:
    mine, other, third = make(), make("u2", b"x"), make(credential=b"y")
    for passkey in (mine, other, third):
        passkeys.add(passkey)
    passkeys.delete(mine.id)
    passkeys.delete(mine.id)  # idempotent
    assert passkeys.get(mine.id) is None
    passkeys.delete_owned_by("u1", 1)
    assert passkeys.list_for_user("u1", 10) == []
    assert passkeys.get(other.id) == other


def test_a_challenge_is_spent_once(challenges: ChallengeRepository) -> None:
    challenge = Challenge.issue(b"c" * 32, Ceremony.REGISTRATION, "u1", NOW)
    challenges.add(challenge)
    assert challenges.spend(challenge.key) == challenge
    assert challenges.spend(challenge.key) is None
    assert challenges.spend("missing") is None
    anonymous = Challenge.issue(b"d" * 32, Ceremony.AUTHENTICATION, None, NOW)
    challenges.add(anonymous)
    assert challenges.spend(anonymous.key) == anonymous


def test_a_conditional_challenge_is_kept_marked_so(challenges: ChallengeRepository) -> None:
    upgrade = Challenge.issue(b"u" * 32, Ceremony.REGISTRATION, "u1", NOW, conditional=True)
    plain = Challenge.issue(b"p" * 32, Ceremony.REGISTRATION, "u1", NOW)
    challenges.add(upgrade)
    challenges.add(plain)
    spent = challenges.spend(upgrade.key)
    assert spent == upgrade and spent.conditional
    spent = challenges.spend(plain.key)
    assert spent == plain and not spent.conditional


def test_thirty_parallel_spends_of_one_challenge_give_one(
    challenges: ChallengeRepository,
) -> None:
    challenge = Challenge.issue(b"e" * 32, Ceremony.AUTHENTICATION, None, NOW)
    challenges.add(challenge)
    barrier = threading.Barrier(PARALLEL)

    def spend(_: int) -> Challenge | None:
        barrier.wait()
        return challenges.spend(challenge.key)

    with ThreadPoolExecutor(PARALLEL) as pool:
        results = list(pool.map(spend, range(PARALLEL)))
    assert [r for r in results if r is not None] == [challenge]
