"""The login use case with its failure throttle and audit events, on in-memory fakes."""

from __future__ import annotations

import pytest

from application.accounts import accounts
from application.ports import Audit, AuditEvent
from domain.errors import PermissionDenied, RateLimited, Unauthenticated
from tests.support.api import PASSWORD
from tests.support.use_cases import World

pytestmark = pytest.mark.unit
ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"
WRONG = "wrong password!"


@pytest.fixture
def world() -> World:
    w = World()
    w.register("alice")
    return w


def fail(world: World, times: int, login: str = "alice", ip: str = ATTACKER) -> None:
    for _ in range(times):
        with pytest.raises(Unauthenticated):
            world.login(login, WRONG, ip=ip)


def throttled(world: World, login: str = "alice", password: str = WRONG, ip: str = ATTACKER) -> int:
    with pytest.raises(RateLimited) as info:
        world.login(login, password, ip=ip)
    assert info.value.code == "too_many_login_failures"
    return info.value.retry_after


def test_ten_failures_then_429_even_with_the_right_password(world: World) -> None:
    fail(world, 10)
    assert throttled(world) == 60
    assert throttled(world, password=PASSWORD) == 60  # no guess is even checked now
    world.clock.advance(seconds=61)
    assert world.login("alice", PASSWORD, ip=ATTACKER).access_token


def test_the_owner_still_logs_in_from_elsewhere(world: World) -> None:
    fail(world, 10)
    throttled(world)
    assert world.login("alice", PASSWORD, ip=OWNER).access_token


def test_unknown_names_are_throttled_the_same_way(world: World) -> None:
    fail(world, 10, login="nobody")
    fail(world, 10, login="alice")
    for login in ("nobody", "alice"):
        with pytest.raises(RateLimited) as info:
            world.login(login, WRONG, ip=ATTACKER)
        assert (info.value.code, info.value.detail, info.value.retry_after) == (
            "too_many_login_failures",
            "Too many failed logins; try again later.",
            60,
        )


def test_username_and_email_count_separately(world: World) -> None:
    # One counter per name as typed: a shared counter would reveal which e-mail address
    # belongs to which username (and that the account exists).
    fail(world, 10, login="alice")
    throttled(world, login="ALICE")
    fail(world, 1, login="alice@example.com")


def test_backoff_grows_while_failures_go_on(world: World) -> None:
    fail(world, 10)
    world.clock.advance(seconds=61)
    fail(world, 1)
    assert throttled(world) == 120
    world.clock.advance(seconds=121)
    fail(world, 1)
    assert throttled(world) == 240


def test_success_resets_only_this_account_from_this_address(world: World) -> None:
    world.register("bob")
    fail(world, 9)
    fail(world, 9, login="bob")
    world.login("alice", PASSWORD, ip=ATTACKER)
    fail(world, 9)  # alice's counter from this address started again
    fail(world, 1, login="bob")
    throttled(world, login="bob")  # bob's was not reset by alice's success


def test_account_wide_ceiling_against_many_addresses(world: World) -> None:
    for i in range(10):
        fail(world, 10, ip=f"192.0.2.{i}")
    throttled(world, ip=OWNER, password=PASSWORD)  # 100 failures: everyone waits


def test_address_wide_ceiling_against_many_accounts(world: World) -> None:
    for i in range(5):
        fail(world, 9, login=f"victim{i}")
    fail(world, 5, login="other")
    throttled(world, login="alice", password=PASSWORD)  # 50 failures from one address
    assert world.login("alice", PASSWORD, ip=OWNER).access_token


def test_ipv6_clients_count_per_64(world: World) -> None:
    for i in range(10):
        fail(world, 1, ip=f"2001:db8:0:1::{i + 1:x}")
    throttled(world, ip="2001:db8:0:1:ffff::1")
    assert world.login("alice", PASSWORD, ip="2001:db8:0:2::1").access_token


def test_audit_events_of_logins(world: World) -> None:
    alice = world.store.users[world.store.usernames["alice"]]
    pair = world.login("alice", PASSWORD, ip=OWNER)
    session_id = world.authenticate(pair.access_token).session_id
    fail(world, 1, login="nobody")
    fail(world, 10)
    throttled(world)
    world.users.update(alice.id, lambda u: u.with_disabled(True, world.clock.now()))
    with pytest.raises(PermissionDenied):
        world.login("alice", PASSWORD, ip=OWNER)
    events = world.audit.events
    assert len(events) == 14
    assert events[0] == AuditEvent(
        Audit.LOGIN,
        user_id=alice.id,
        session_id=session_id,
        ip=OWNER,
        method="password",
    )
    assert events[1] == AuditEvent(Audit.LOGIN, "failure", ip=ATTACKER, reason="unknown_user")
    assert events[2] == AuditEvent(
        Audit.LOGIN, "failure", user_id=alice.id, ip=ATTACKER, reason="wrong_password"
    )
    assert events[-2] == AuditEvent(
        Audit.LOGIN, "failure", ip=ATTACKER, reason="too_many_login_failures"
    )
    assert events[-1] == AuditEvent(
        Audit.LOGIN, "failure", user_id=alice.id, ip=OWNER, reason="account_disabled"
    )
    text = repr(events)
    assert PASSWORD not in text and WRONG not in text and pair.refresh_token not in text


def test_account_deletion_is_audited(world: World) -> None:
    alice_id = world.store.usernames["alice"]
    accounts.delete_account(alice_id, users=world.users, clock=world.clock, audit=world.audit)
    assert world.audit.events == [AuditEvent(Audit.ACCOUNT_DELETION, user_id=alice_id)]
    accounts.delete_account("missing", users=world.users, clock=world.clock, audit=world.audit)
    assert len(world.audit.events) == 1
