"""The guest way in, the guests unit's (docs/guests.md): ``POST /auth/guest`` makes an account
with no address, username or password through the one door every new account passes, and
signs it in with an ordinary session whose access token says ``guest: true``. What a guest is
once made (its claim, its expiry, its sweep, its upgrade, its merge) is the accounts' and
sign-in's, tested without the unit (tests/unit/accounts/test_guests.py, ...)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from application.ports import Audit
from bootstrap.hooks import HooksAdapters
from domain.accounts.guest.part import Guest
from tests.fakes.hooks import FakeHookClient
from tests.support.api import PASSWORD, assert_problem, bearer, login, register
from tests.support.app import World
from tests.support.dpop import claims_of
from tests.support.guest_accounts import new_guest
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
    client = world.adapters.of(HooksAdapters).hook_client
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


# -- the before_sign_in hooks (every way in: tests/unit/hooks/test_before_sign_in.py) ----------

RECEIVER = "http://127.0.0.1:9/before-sign-in"
DENY = {"decision": "deny", "message": "Not from this network."}


def test_way_guest() -> None:
    """A guest's first session is a sign-in: the hook may refuse it (before its session; the
    account it made stays, as a guest unused, reaped by its sweep)."""
    w = World(app_profile="local", guest_accounts=True)
    w.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "before_sign_in", RECEIVER))
    receiver = w.adapters.of(HooksAdapters).hook_client
    assert isinstance(receiver, FakeHookClient)
    receiver.answer = DENY
    answer = guest(w)
    assert assert_problem(answer, 403, "signin_denied")["detail"] == "Not from this network."
    asked = [json.loads(body) for _, body, _, _, _ in receiver.asked]
    assert [(p["method"], p["amr"]) for p in asked] == [("guest", [])]
    assert not w.store.sessions


# -- the unit left out (docs/decisions/0760-the-guest-way-in-is-a-unit.md) ---------------------


def test_left_out_its_way_in_is_gone_and_a_guest_the_core_made_is_still_one() -> None:
    world = World(units_off="guests", guest_accounts=True)
    assert_problem(guest(world), 404, "not_found")
    made = new_guest(world.client)  # as a migration's anonymous user is one
    assert claims_of(made.access_token)["guest"] is True
    assert world.client.get("/user", headers=bearer(made.access_token)).get_json()["guest"]
