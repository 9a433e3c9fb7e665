"""A guest and the phone unit's texted code. A texted code asked by a guest makes the
number the guest's, in place, as a mailed code makes its address (docs/guests.md, "Upgrading
in place"); PATCH /user refuses a guest a number before any text is sent (a guest signs up
rather than edits its ways in, decision 0632). What a guest is, and its upgrade, are the
accounts' and sign-in's whichever way made it: the guest here is made through the core, not
by the guests unit's ``POST /auth/guest``, so these tests need the phone unit alone and are
taken out with it (docs/decisions/0801-a-test-lives-with-the-unit-it-needs.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from bootstrap.hooks import HooksAdapters
from domain.accounts.identities import PhoneNumber
from tests.fakes.hooks import FakeHookClient
from tests.support import guest_upgrades
from tests.support.api import assert_problem, bearer
from tests.support.app import World
from tests.support.dpop import claims_of
from tests.support.guest_accounts import new_guest_answer
from tests.support.guest_upgrades import receiver, refused_to_the_guest, still_a_guest
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit
SMS_HOOK = "http://127.0.0.1:9/sms"


def new_guest(world: World) -> dict[str, Any]:
    """A new guest's token pair, as ``POST /auth/guest`` answers it."""
    return new_guest_answer(world.client)


def is_guest(world: World, user_id: str) -> bool:
    """The guests' part of the account, as stored (read without the guests unit's record)."""
    return bool(world.store.users[user_id].parts.get("guest"))


def phone_code(world: World, pair: dict[str, Any] | None, number: str) -> Any:
    headers = bearer(pair["access_token"]) if pair is not None else {}
    asked = world.client.post("/auth/phone-code", json={"phone_number": number}, headers=headers)
    assert asked.status_code == 202, asked.get_json()
    world.deliver()
    client = world.adapters.of(HooksAdapters).hook_client
    assert isinstance(client, FakeHookClient)
    code = json.loads(client.asked[-1][1])["code"]
    body = {"flow_id": asked.get_json()["flow_id"], "code": code}
    return world.client.post("/auth/phone-code/verify", json=body)


def texting_world() -> World:
    world = World(phone_sign_in=True)
    world.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "send_sms", SMS_HOOK))
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


def test_a_phone_number_is_refused_to_a_guest_before_any_text_is_sent() -> None:
    """(Was tests/unit/accounts/test_every_guest_upgrade_passes_one_door.py's, skipped there
    without the phone unit.)"""
    world = texting_world()
    guest = guest_upgrades.new_guest(world)
    guest.sessions = guest_upgrades.sessions_of(world, guest.id)
    answer = world.client.patch("/user", json={"phone_number": "+33612345678"}, headers=guest.auth)
    refused_to_the_guest(answer)
    world.deliver()
    assert [url for url, *_ in receiver(world).asked if url == SMS_HOOK] == []
    proof = world.client.post("/user/phone/verify", json={"code": "123456"}, headers=guest.auth)
    refused_to_the_guest(proof)
    still_a_guest(guest)
