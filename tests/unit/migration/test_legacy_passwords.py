"""The ``password_verification`` hook: a legacy account's password asked of the hook once,
stored then, and every answer or failure as the docs say (docs/hooks.md,
"password_verification"; docs/decisions/0575-legacy-passwords-checked-once.md)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from functools import partial

import pytest

from application.accounts.accounts import DeleteUser
from application.migration.legacy_passwords import WAITS
from application.outbound import WebhookUnreachable
from application.signin.login import ChangePassword, check_current_password
from domain.accounts.users import User
from domain.errors import Conflict, PermissionDenied, RateLimited, Unauthenticated
from domain.hooks.auth_hooks import (
    AuthHook,
    BadAnswer,
    OnFailure,
    checked_password_verdict,
)
from domain.migration.legacy import Legacy, claimed, migrated, released
from tests.support.api import PASSWORD
from tests.support.hook_kinds import CORE_KINDS, PASSWORD_VERIFICATION
from tests.support.use_cases import IP, World

pytestmark = pytest.mark.unit
OLD_PASSWORD = "the old system's secret"


def legacy_world(answer: object = None, on_failure: str = "allow", hook: bool = True) -> World:
    """A world with alice imported as legacy (no hash), and its hook answering ``answer``."""
    world = World()
    user = world.register("alice")
    world.users.update(
        user.id, lambda u: replace(u, password_hash=None).with_part(Legacy(is_legacy=True))
    )
    if hook:
        world.hooks.add(
            AuthHook(
                hook_id="h1",
                kind=PASSWORD_VERIFICATION.name,
                url="http://127.0.0.1:9/verify",
                timeout_ms=2000,
                on_failure=OnFailure(on_failure),
                secret=world.box.seal("whsec_" + "A" * 32),
                created_at=world.clock.now(),
            )
        )
    world.hook_client.answer = {"valid": True} if answer is None else answer
    return world


def alice(world: World) -> User:
    found = world.users.find_by_login("alice")
    assert found is not None
    return found


def payloads(world: World) -> list[dict[str, object]]:
    return [json.loads(body) for _, body, _, _, _ in world.hook_client.asked]


def test_a_right_password_is_stored_once_and_legacy_cleared() -> None:
    world = legacy_world({"valid": True})
    assert world.login("alice", OLD_PASSWORD).access_token
    user = alice(world)
    assert (user.part(Legacy).is_legacy, user.part(Legacy).claim) == (False, None)
    assert user.password_hash == world.hasher.hash(OLD_PASSWORD)
    assert payloads(world) == [
        {
            "user": {"id": user.id, "email": "alice@example.com", "username": "alice"},
            "password": OLD_PASSWORD,
        }
    ]
    # The next sign-in checks the stored hash: the hook is not asked again.
    assert world.login("alice", OLD_PASSWORD).access_token
    with pytest.raises(Unauthenticated):
        world.login("alice", "another password")
    assert len(world.hook_client.asked) == 1


def test_valid_false_is_a_wrong_password_counted_by_the_throttle() -> None:
    world = legacy_world({"valid": False})
    for _ in range(10):
        with pytest.raises(Unauthenticated) as wrong:
            world.login("alice", OLD_PASSWORD, ip=IP)
        assert (wrong.value.code, wrong.value.detail) == (
            "invalid_credentials",
            "Invalid username or password.",
        )
    with pytest.raises(RateLimited):
        world.login("alice", OLD_PASSWORD, ip=IP)
    user = alice(world)
    assert (
        user.part(Legacy).is_legacy
        and user.password_hash is None
        and user.part(Legacy).claim is None
    )
    assert len(world.hook_client.asked) == 10  # the eleventh was refused before any check


def test_without_a_hook_the_password_is_a_wrong_one_for_the_work_of_one() -> None:
    """No hook can check it: answered as any wrong password (a reset by mail is the way in),
    for the time of one password's check
    (docs/decisions/0631-a-legacy-account-without-a-hook.md)."""
    world = legacy_world(hook=False)
    with pytest.raises(Unauthenticated) as refused:
        world.login("alice", OLD_PASSWORD)
    assert refused.value.code == "invalid_credentials"
    assert (world.hasher.dummy_verifications, world.hasher.verifications) == (1, 0)
    assert alice(world).part(Legacy).is_legacy


@pytest.mark.parametrize(
    ("on_failure", "raised", "code"),
    [
        ("deny", PermissionDenied, "password_verification_failed"),
        ("allow", Unauthenticated, "invalid_credentials"),
    ],
)
@pytest.mark.parametrize("failure", ["unreachable", "bad_answer", "status"])
def test_a_failed_hook_follows_on_failure(
    on_failure: str, raised: type[Exception], code: str, failure: str
) -> None:
    world = legacy_world(on_failure=on_failure)
    if failure == "unreachable":
        world.hook_client.answer = WebhookUnreachable("refused")
    elif failure == "bad_answer":
        world.hook_client.answer = {"valid": "yes"}
    else:
        world.hook_client.status = 500
    with pytest.raises(raised) as failed:
        world.login("alice", OLD_PASSWORD)
    assert getattr(failed.value, "code", None) == code
    user = alice(world)
    assert (
        user.part(Legacy).is_legacy and user.part(Legacy).claim is None
    )  # the next sign-in may ask again


def test_a_sign_in_that_finds_the_claim_held_waits_for_its_outcome() -> None:
    world = legacy_world({"valid": True})
    user = alice(world)
    now = world.clock.now()
    world.users.update(user.id, lambda u: claimed(u, "another", now, timedelta(seconds=10)))
    stored = world.hasher.hash(OLD_PASSWORD)
    waited: list[float] = []

    def other_sign_in_finishes(seconds: float) -> None:
        waited.append(seconds)
        world.users.update(user.id, lambda u: migrated(u, stored, now))

    world.legacy = replace(world.legacy, pause=other_sign_in_finishes)  # type: ignore[type-var]
    assert world.login("alice", OLD_PASSWORD).access_token
    assert len(waited) == 1 and world.hook_client.asked == []
    with pytest.raises(Unauthenticated):  # the stored hash decides for the others
        world.login("alice", "not it at all")


def test_a_claim_held_past_the_wait_is_a_conflict_and_then_expires() -> None:
    world = legacy_world({"valid": True})
    user = alice(world)
    now = world.clock.now()
    world.users.update(user.id, lambda u: claimed(u, "another", now, timedelta(seconds=10)))
    pauses: list[float] = []
    world.legacy = replace(world.legacy, pause=pauses.append)  # type: ignore[type-var]
    with pytest.raises(Conflict) as busy:
        world.login("alice", OLD_PASSWORD)
    assert busy.value.code == "password_check_busy"
    assert len(pauses) == WAITS and world.hook_client.asked == []
    world.clock.advance(seconds=11)  # the claimant died: its lease ends
    assert world.login("alice", OLD_PASSWORD).access_token
    assert len(world.hook_client.asked) == 1


def test_the_current_password_asked_again_is_checked_by_the_hook_too() -> None:
    world = legacy_world({"valid": True})
    pair = world.login("alice", OLD_PASSWORD)  # stores it: sign in anew as legacy below
    user = alice(world)
    world.users.update(
        user.id, lambda u: replace(u, password_hash=None).with_part(Legacy(is_legacy=True))
    )
    actor = world.authenticate(pair.access_token)
    world.change_password(ChangePassword.of(actor, OLD_PASSWORD, PASSWORD + "-new", ""))
    changed = alice(world)
    assert not changed.part(Legacy).is_legacy and changed.password_hash == world.hasher.hash(
        PASSWORD + "-new"
    )
    assert len(world.hook_client.asked) == 2
    # A wrong current password for a legacy account is the usual 403.
    world.users.update(
        user.id, lambda u: replace(u, password_hash=None).with_part(Legacy(is_legacy=True))
    )
    world.hook_client.answer = {"valid": False}
    actor = world.authenticate(pair.access_token)  # the session the change kept
    with pytest.raises(PermissionDenied) as wrong:
        world.change_password(ChangePassword.of(actor, "nope nope", PASSWORD + "-2", ""))
    assert wrong.value.code == "invalid_current_password"


def test_a_password_set_any_way_ends_legacy() -> None:
    world = legacy_world()
    user = alice(world)
    now = world.clock.now()
    held = claimed(user, "c1", now, timedelta(seconds=10))
    assert held.part(Legacy).claim == "c1"
    assert claimed(held, "c2", now, timedelta(seconds=10)).part(Legacy).claim == "c1"
    later = now + timedelta(seconds=11)
    assert claimed(held, "c2", later, timedelta(seconds=10)).part(Legacy).claim == "c2"
    assert released(held, "c2") == held  # only its holder gives it back
    reset = world.legacy.own_password(held.reset_through_mail("h", now))
    assert reset.part(Legacy) == Legacy()
    assert reset.parts["legacy"] is False and reset.parts["legacy_claim"] is None
    assert migrated(reset, "other", now) == reset  # no legacy account any more


def test_the_answer_is_valid_true_or_false_and_the_kit_has_a_sample() -> None:
    assert checked_password_verdict({"valid": True}) is True
    assert checked_password_verdict({"valid": False}) is False
    for bad in ({}, {"valid": "true"}, {"valid": 1}, {"valid": None}):
        with pytest.raises(BadAnswer, match="bad_valid"):
            checked_password_verdict(bad)
    assert PASSWORD_VERIFICATION.check({"valid": False}, CORE_KINDS.reserved) is False
    (sample,) = PASSWORD_VERIFICATION.samples.values()
    assert set(sample) == {"user", "password"}


def test_deleting_a_legacy_account_with_its_password_asks_the_hook() -> None:
    world = legacy_world({"valid": True})
    token = world.login("alice", OLD_PASSWORD).access_token
    user = alice(world)
    world.users.update(
        user.id, lambda u: replace(u, password_hash=None).with_part(Legacy(is_legacy=True))
    )
    actor = world.authenticate(token)  # the request's read of its account
    check = partial(
        check_current_password,
        hasher=world.hasher,
        clock=world.clock,
        throttle=world.throttle,
        throttle_policy=world.throttle_policy,
        legacy=world.legacy,
    )
    world.account_cases(check_password=check).delete(
        DeleteUser(actor, password=OLD_PASSWORD, client_ip=IP)
    )
    assert world.store.users.get(user.id) is None
    assert len(world.hook_client.asked) == 2
