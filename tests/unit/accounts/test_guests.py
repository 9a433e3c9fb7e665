"""A guest, once made (docs/guests.md): the accounts' and sign-in's own, whichever way made it
(docs/decisions/0760-the-guest-way-in-is-a-unit.md). Each is made as the guests unit's
``POST /auth/guest`` makes one (tests/support/guest_accounts.py), so these hold without the
unit; the way in itself is tested with it (tests/unit/guests/test_guests_way_in.py)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.jobs import SWEEP, JobPush, encode_job
from application.ports import Audit, Job
from application.signin.throttle import account_key
from bootstrap.accounts import AccountsAdapters
from domain.accounts.credentials import Username
from domain.accounts.guest.part import Guest
from domain.accounts.signups import ALLOWED
from domain.accounts.users import GUEST_NAME, User
from tests.fakes.claims import CLAIMS
from tests.support.api import register
from tests.support.app import World
from tests.support.dpop import claims_of
from tests.support.guest_accounts import new_guest
from tests.support.keepsakes import KeepsakesWorld

pytestmark = pytest.mark.unit
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def guest(world: World) -> dict[str, Any]:
    """A new guest's token pair, as POST /auth/guest answers it."""
    made = new_guest(world.client)
    return {"access_token": made.access_token, "refresh_token": made.refresh_token}


# -- the account itself ---------------------------------------------------------------------


def make_guest() -> User:
    return User.new_guest(id="g-1", now=NOW, admitted=ALLOWED)


def test_a_guest_shows_as_a_guest_and_keys_its_throttle_on_its_id() -> None:
    made = make_guest()
    assert made.part(Guest).is_guest and made.username is None and made.email is None
    assert made.shown_name == GUEST_NAME
    assert account_key(made) == "guest:g-1"
    person = User.register(
        id="p-1", username=Username("Ann"), email=None, password_hash="h", now=NOW, admitted=ALLOWED
    )
    assert (
        account_key(person) == "ann"
        and person.shown_name == "Ann"
        and not person.part(Guest).is_guest
    )


def test_only_a_guest_is_without_a_username() -> None:
    made = make_guest()
    with pytest.raises(ValueError, match="guest"):
        made.with_part(Guest())


def test_no_hook_may_say_a_token_is_a_guests() -> None:
    assert "guest" in CLAIMS.reserved  # the guests' claim source's


# -- expiry ---------------------------------------------------------------------------------

DAY = timedelta(days=1)


def test_a_guests_use_is_noted_at_most_once_a_day() -> None:
    made = User.new_guest(id="g-1", now=NOW, admitted=ALLOWED, ttl=30 * DAY)
    assert made.part(Guest).expires_at == NOW + 30 * DAY
    assert made.guest_use_to_note(NOW + DAY - timedelta(seconds=1), 30 * DAY) is None
    noted = made.guest_use_to_note(NOW + DAY, 30 * DAY)
    assert noted is not None and noted.part(Guest).expires_at == NOW + 31 * DAY
    person = User.register(
        id="p-1", username=Username("ann"), email=None, password_hash="h", now=NOW, admitted=ALLOWED
    )
    assert person.guest_use_to_note(NOW + 40 * DAY, 30 * DAY) is None


def stored(world: World, pair: dict[str, Any]) -> User:
    return world.store.users[claims_of(pair["access_token"])["sub"]]


def refresh(world: World, pair: dict[str, Any]) -> dict[str, Any]:
    answer = world.client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert answer.status_code == 200, answer.get_json()
    fresh: dict[str, Any] = answer.get_json()
    return fresh


def test_a_refresh_moves_the_guests_expiry_on_once_a_day() -> None:
    world = World(guest_accounts=True, guest_ttl=2 * 86_400)
    pair = guest(world)
    made = world.clock.now()
    assert stored(world, pair).part(Guest).expires_at == made + 2 * DAY
    world.clock.advance(hours=23)
    pair = refresh(world, pair)
    assert stored(world, pair).part(Guest).expires_at == made + 2 * DAY  # used today: not written
    world.clock.advance(hours=2)
    pair = refresh(world, pair)
    assert stored(world, pair).part(Guest).expires_at == made + 25 * timedelta(hours=1) + 2 * DAY


def sweep(world: World) -> None:
    data = base64.b64encode(encode_job(Job(kind=SWEEP, subject="guests"))).decode()
    world.services.platform.jobs.receive_push(JobPush(data=data))


def test_the_guests_sweep_deletes_the_expired_with_what_they_own_and_keeps_the_rest() -> None:
    world = KeepsakesWorld(guest_accounts=True, guest_ttl=86_400)
    old, new = guest(world), None
    world.kept.first.add(claims_of(old["access_token"])["sub"])
    register(world.client, "ann")
    world.clock.advance(hours=12)
    new = guest(world)
    world.clock.advance(hours=13)
    sweep(world)
    old_id, new_id = (claims_of(p["access_token"])["sub"] for p in (old, new))
    assert old_id not in world.store.users
    assert world.kept.first.owners == {}  # what the guest owned went with it
    assert [s for s in world.store.sessions.values() if s.user_id == old_id] == []
    assert new_id in world.store.users and world.adapters.of(AccountsAdapters).users.find_by_login(
        "ann"
    )
    deleted = [e.user_id for e in world.audit.events if e.event is Audit.ACCOUNT_DELETION]
    assert deleted == [old_id]
