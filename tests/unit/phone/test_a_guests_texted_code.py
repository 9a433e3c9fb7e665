"""A texted code asked by a guest makes the number the guest's, in place, as a mailed code
makes its address (docs/guests.md, "Upgrading in place"): the guests' way of upgrading by the
phone unit's code. Both units' routes: skipped only in a copy the guests unit is taken out
of (scripts/remove_unit.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from domain.accounts.identities import PhoneNumber
from tests.fakes.hooks import FakeHookClient
from tests.support.api import assert_problem, bearer
from tests.support.app import World
from tests.support.dpop import claims_of
from tests.support.taken_out import taken_out
from tests.support.webhooks import ADMIN

pytestmark = [
    pytest.mark.unit,
    pytest.mark.skipif(
        taken_out().holds("src/bootstrap/guests.py"), reason="the guests unit is taken out"
    ),
]


def new_guest(world: World) -> dict[str, Any]:
    answer = world.client.post("/auth/guest")
    assert answer.status_code == 201, answer.get_json()
    pair: dict[str, Any] = answer.get_json()
    return pair


def is_guest(world: World, user_id: str) -> bool:
    """The guests' part of the account, as stored (read without the guests unit's record)."""
    return bool(world.store.users[user_id].parts.get("guest"))


def phone_code(world: World, pair: dict[str, Any] | None, number: str) -> Any:
    headers = bearer(pair["access_token"]) if pair is not None else {}
    asked = world.client.post("/auth/phone-code", json={"phone_number": number}, headers=headers)
    assert asked.status_code == 202, asked.get_json()
    world.deliver()
    client = world.adapters.hooks.hook_client
    assert isinstance(client, FakeHookClient)
    code = json.loads(client.asked[-1][1])["code"]
    body = {"flow_id": asked.get_json()["flow_id"], "code": code}
    return world.client.post("/auth/phone-code/verify", json=body)


def texting_world() -> World:
    world = World(guest_accounts=True, phone_sign_in=True)
    world.services.of(HookServices).hooks.set(
        SetAuthHook(ADMIN, "send_sms", "http://127.0.0.1:9/sms")
    )
    return world


def test_a_phone_code_asked_by_the_guest_makes_the_number_the_guests() -> None:
    world = texting_world()
    pair = new_guest(world)
    uid = claims_of(pair["access_token"])["sub"]
    answer = phone_code(world, pair, "+33612345678")
    assert answer.status_code == 200, answer.get_json()
    assert claims_of(answer.get_json()["access_token"])["sub"] == uid
    stored = world.store.users[uid]
    assert not is_guest(world, uid) and stored.part(PhoneNumber).proven == "+33612345678"
    assert stored.username is not None and len(world.store.users) == 1


def test_a_phone_code_for_another_accounts_number_is_409_account_exists() -> None:
    world = texting_world()
    assert phone_code(world, None, "+33612345678").status_code == 200  # its account, made
    pair = new_guest(world)
    world.clock.advance(minutes=1)  # the number's next code may be asked
    assert_problem(phone_code(world, pair, "+33612345678"), 409, "account_exists")
    assert is_guest(world, claims_of(pair["access_token"])["sub"])
