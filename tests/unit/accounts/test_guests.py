"""Guests (docs/guests.md): ``POST /auth/guest`` makes an account with no address, username or
password through the one door every new account passes, and signs it in with an ordinary
session whose access token says ``guest: true``."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from application.jobs import SWEEP, JobPush, encode_job
from application.ports import Audit, Job
from application.signin.throttle import account_key
from domain.accounts.credentials import Username
from domain.accounts.guest.part import Guest
from domain.accounts.signups import ALLOWED
from domain.accounts.users import GUEST_NAME, User
from tests.fakes.claims import CLAIMS
from tests.fakes.hooks import FakeHookClient
from tests.support.api import PASSWORD, assert_problem, bearer, login, register
from tests.support.app import World
from tests.support.dpop import claims_of
from tests.support.keepsakes import KeepsakesWorld
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

CHALLENGED = {
    "challenge_provider": "turnstile",
    "challenge_site_key": "k",
    "challenge_secret": "s",
    "challenge_signups_per_hour": 1,
}


def guest(world: World, **body: Any) -> Any:
    return world.client.post("/auth/guest", json=body) if body else world.client.post("/auth/guest")


def test_off_by_default_answers_404_guests_disabled_and_makes_nothing() -> None:
    world = World()
    assert_problem(guest(world), 404, "guests_disabled")
    assert world.store.users == {}


def test_on_answers_201_a_token_pair_of_a_new_guest() -> None:
    world = World(guest_accounts=True)
    answer = guest(world)
    assert answer.status_code == 201, answer.get_json()
    pair = answer.get_json()
    assert set(pair) == {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "refresh_expires_in",
    }
    claims = claims_of(pair["access_token"])
    assert claims["guest"] is True
    me = world.client.get("/user", headers=bearer(pair["access_token"])).get_json()
    assert me["guest"] is True and me["id"] == claims["sub"]
    assert (me["username"], me["email"], me["phone_number"]) == (None, None, None)
    [stored] = world.store.users.values()
    assert (
        stored.part(Guest).is_guest and stored.password_hash is None and world.store.usernames == {}
    )


def test_a_guests_session_is_ordinary_its_refresh_keeps_guest() -> None:
    world = World(guest_accounts=True)
    pair = guest(world).get_json()
    refreshed = world.client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.get_json()
    assert claims_of(refreshed.get_json()["access_token"])["guest"] is True
    who = world.client.get("/auth/whoami", headers=bearer(refreshed.get_json()["access_token"]))
    assert who.status_code == 200


def test_a_guests_renewed_access_token_keeps_guest() -> None:
    """Every access token of a guest's session says so, the renewed one too (the org switch
    makes its token the same way: ``session_access_token``)."""
    world = World(guest_accounts=True)
    pair = guest(world).get_json()
    renewed = world.client.post("/auth/renew", headers=bearer(pair["access_token"]))
    assert renewed.status_code == 200, renewed.get_json()
    assert claims_of(renewed.get_json()["access_token"])["guest"] is True


def test_a_persons_token_has_no_guest_claim_and_their_account_reads_guest_false() -> None:
    world = World(guest_accounts=True)
    register(world.client, "alice")
    token = login(world.client, "alice")
    assert "guest" not in claims_of(token)
    assert world.client.get("/user", headers=bearer(token)).get_json()["guest"] is False


def test_each_guest_is_a_new_account_and_a_sign_up_event() -> None:
    world = World(guest_accounts=True)
    first, second = (claims_of(guest(world).get_json()["access_token"]) for _ in range(2))
    assert first["sub"] != second["sub"]
    created = [e.user_id for e in world.audit.events if e.event is Audit.USER_CREATED]
    assert created == [first["sub"], second["sub"]]


@pytest.mark.parametrize("caller", ["person", "guest", "invalid"])
def test_a_caller_signed_in_gets_a_new_guest_beside_its_own_account(caller: str) -> None:
    """The request's credentials are not read: whoever calls gets a new guest of its own, and
    the caller's account and session go on as they were (docs/guests.md, "Starting a
    guest")."""
    world = World(guest_accounts=True)
    if caller == "person":
        register(world.client, "ann")
        token = login(world.client, "ann")
    elif caller == "guest":
        token = guest(world).get_json()["access_token"]
    else:
        token = "not-a-token"
    before = dict(world.store.users)
    answer = world.client.post("/auth/guest", headers=bearer(token))
    assert answer.status_code == 201, answer.get_json()
    made = claims_of(answer.get_json()["access_token"])
    assert made["guest"] is True and made["sub"] not in before
    assert {uid: world.store.users[uid] for uid in before} == before  # the caller's unchanged
    assert len(world.store.users) == len(before) + 1
    if caller != "invalid":
        me = world.client.get("/user", headers=bearer(token))
        assert me.status_code == 200 and me.get_json()["id"] == claims_of(token)["sub"]


def test_a_guest_counts_as_a_sign_up_for_the_challenges_signal() -> None:
    world = World(guest_accounts=True, **CHALLENGED)
    assert guest(world).status_code == 201
    assert_problem(guest(world), 401, "challenge_required")
    body = {"username": "ann", "email": "ann@example.com", "password": PASSWORD}
    assert_problem(world.client.post("/register", json=body), 401, "challenge_required")
    assert len(world.store.users) == 1


def test_a_person_who_registered_spends_the_signal_a_guest_then_meets() -> None:
    world = World(guest_accounts=True, **CHALLENGED)
    register(world.client, "ann")
    assert_problem(guest(world), 401, "challenge_required")


@pytest.mark.parametrize(
    ("mode", "reason"), [("closed", "closed"), ("invite_only", "invitation_required")]
)
def test_the_sign_up_mode_refuses_a_guest(mode: str, reason: str) -> None:
    world = World(guest_accounts=True, signup_mode=mode)
    assert assert_problem(guest(world), 403, "signup_not_allowed")["reason"] == reason
    assert world.store.users == {}


def test_the_domain_lists_wait_for_the_guests_address() -> None:
    """docs/decisions/0557-a-guests-admission.md: a guest has no address for the lists."""
    world = World(guest_accounts=True, signup_domains_allow=["corp.example"])
    assert guest(world).status_code == 201


def test_the_before_sign_up_hook_is_asked_of_a_guest_and_may_refuse_it() -> None:
    world = World(guest_accounts=True)
    world.services.of(HookServices).hooks.set(
        SetAuthHook(ADMIN, "before_sign_up", "http://127.0.0.1:9/hook")
    )
    client = world.adapters.hooks.hook_client
    assert isinstance(client, FakeHookClient)
    client.answer = {"decision": "deny", "message": "No guests today."}
    answer = guest(world)
    assert assert_problem(answer, 403, "signup_denied")["detail"] == "No guests today."
    assert json.loads(client.asked[-1][1])["user"]["method"] == "guest"
    assert world.store.users == {}


def test_a_body_other_than_an_object_with_a_challenge_token_is_refused() -> None:
    world = World(guest_accounts=True)
    assert guest(world, challenge_token=None).status_code == 422
    assert world.client.post("/auth/guest", json={"username": "x"}).status_code == 422


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
    pair = guest(world).get_json()
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
    old, new = guest(world).get_json(), None
    world.kept.first.add(claims_of(old["access_token"])["sub"])
    register(world.client, "ann")
    world.clock.advance(hours=12)
    new = guest(world).get_json()
    world.clock.advance(hours=13)
    sweep(world)
    old_id, new_id = (claims_of(p["access_token"])["sub"] for p in (old, new))
    assert old_id not in world.store.users
    assert world.kept.first.owners == {}  # what the guest owned went with it
    assert [s for s in world.store.sessions.values() if s.user_id == old_id] == []
    assert new_id in world.store.users and world.adapters.accounts.users.find_by_login("ann")
    deleted = [e.user_id for e in world.audit.events if e.event is Audit.ACCOUNT_DELETION]
    assert deleted == [old_id]
