"""The MfaRepository port, run against the fake and against Firestore."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from application.signin.mfa import MfaRepository
from domain.ids import new_id
from domain.signin.mfa import MAX_WRONG_CODES, MfaChallenge, TotpFactor
from tests.fakes.signin import FakeMfaRepository

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["fake", "firestore"])
def factors(request: pytest.FixtureRequest) -> MfaRepository:
    if request.param == "fake":
        return FakeMfaRepository()
    from infrastructure.firestore.signin.mfa import FirestoreMfaRepository

    return FirestoreMfaRepository(request.getfixturevalue("firestore"))


def pending(user_id: str, sealed: str = "sealed-1") -> TotpFactor:
    return TotpFactor.pending(user_id=user_id, sealed_secret=sealed, now=NOW)


def challenge(user_id: str = "u1") -> MfaChallenge:
    return MfaChallenge.start(
        token_hash=hashlib.sha256(new_id().encode()).hexdigest(),
        user_id=user_id,
        login_key="alice",
        first_factor=("pwd",),
        now=NOW,
        device_id="d1",
    )


def test_factor_round_trip_and_delete(factors: MfaRepository) -> None:
    user_id = new_id()
    assert factors.get(user_id) is None
    assert factors.begin(pending(user_id))
    assert factors.get(user_id) == pending(user_id)
    active = factors.update(user_id, lambda f: f.activated(7, ("h1", "h2"), NOW))
    assert active is not None and factors.get(user_id) == active
    assert active.active and active.last_step == 7 and active.recovery_hashes == ("h1", "h2")
    factors.delete(user_id)
    assert factors.get(user_id) is None
    factors.delete(user_id)  # idempotent
    assert factors.update(user_id, lambda f: f) is None


def test_create_stores_a_factor_only_where_there_is_none(factors: MfaRepository) -> None:
    user_id = new_id()
    codes = TotpFactor.recovery_only(user_id=user_id, recovery_hashes=("h1", "h2"), now=NOW)
    assert factors.create(codes)
    assert factors.get(user_id) == codes and codes.codes_only
    assert not factors.create(pending(user_id))
    assert factors.get(user_id) == codes
    spent = factors.update(user_id, lambda f: f.spent_recovery_code("h1", NOW))
    assert spent is not None and spent.recovery_hashes == ("h2",)


def test_begin_replaces_a_pending_factor_but_never_an_active_one(factors: MfaRepository) -> None:
    user_id = new_id()
    assert factors.begin(pending(user_id, "first"))
    assert factors.begin(pending(user_id, "second"))
    stored = factors.get(user_id)
    assert stored is not None and stored.secret == "second"
    factors.update(user_id, lambda f: f.activated(1, (), NOW))
    assert not factors.begin(pending(user_id, "third"))
    stored = factors.get(user_id)
    assert stored is not None and stored.secret == "second" and stored.active


def test_a_refused_change_writes_nothing(factors: MfaRepository) -> None:
    user_id = new_id()
    factors.begin(pending(user_id))
    factors.update(user_id, lambda f: f.activated(5, ("h",), NOW))
    assert factors.update(user_id, lambda f: f.used_step(5, NOW)) is None  # a replay
    stored = factors.get(user_id)
    assert stored is not None and stored.last_step == 5


def test_one_step_is_used_once_under_a_race(factors: MfaRepository) -> None:
    user_id = new_id()
    factors.begin(pending(user_id))
    factors.update(user_id, lambda f: f.activated(1, ("h",), NOW))
    with ThreadPoolExecutor(10) as pool:
        results = list(
            pool.map(lambda _: factors.update(user_id, lambda f: f.used_step(2, NOW)), range(10))
        )
    assert sum(result is not None for result in results) == 1


def test_challenge_round_trip_and_single_spend(factors: MfaRepository) -> None:
    made = challenge()
    factors.add_challenge(made)
    assert factors.get_challenge(made.token_hash) == made
    assert factors.get_challenge("0" * 64) is None
    federated = replace(
        challenge(),
        first_factor=("fed",),
        via="sso-k3v9q2m8x1p0a7d4s6f5",
        method="sso",
        reason="k3v9q2m8x1p0a7d4s6f5",
        org_id="acme1234acme1234acme",
    )  # an org's connection: its provider, what the sign-in's event names and its org, kept
    factors.add_challenge(federated)
    assert factors.get_challenge(federated.token_hash) == federated
    wrong = factors.update_challenge(made.token_hash, lambda c: c.guessed(NOW, "g1"))
    assert wrong is not None and (wrong.guesses, wrong.last_guess) == (1, "g1")
    with ThreadPoolExecutor(10) as pool:
        nonces = [new_id() for _ in range(10)]
        results = list(
            pool.map(
                lambda nonce: factors.update_challenge(
                    made.token_hash, lambda c: c.spent(NOW, nonce)
                ),
                nonces,
            )
        )
    winners = {result.spent_by for result in results if result is not None}
    assert len(winners) == 1 and winners <= set(nonces)
    stored = factors.get_challenge(made.token_hash)
    assert (
        stored is not None
        and stored.spent_at == NOW
        and stored
        == replace(made, guesses=1, last_guess="g1", spent_at=NOW, spent_by=stored.spent_by)
    )
    assert factors.update_challenge("0" * 64, lambda c: c) is None


def test_of_thirty_parallel_guesses_at_a_challenge_five_are_counted(
    factors: MfaRepository,
) -> None:
    made = challenge()
    factors.add_challenge(made)
    nonces = [new_id() for _ in range(30)]
    with ThreadPoolExecutor(30) as pool:
        after = list(
            pool.map(
                lambda nonce: factors.update_challenge(
                    made.token_hash, lambda c: c.guessed(NOW, nonce)
                ),
                nonces,
            )
        )
    counted = [n for n, c in zip(nonces, after, strict=True) if c and c.last_guess == n]
    assert len(counted) == MAX_WRONG_CODES
    stored = factors.get_challenge(made.token_hash)
    assert stored is not None and stored.guesses == MAX_WRONG_CODES and not stored.usable(NOW)


def test_deleting_the_owner_removes_the_factor(factors: MfaRepository) -> None:
    user_id = new_id()
    factors.begin(pending(user_id))
    factors.delete_owned_by(user_id, batch_size=10)
    assert factors.get(user_id) is None
