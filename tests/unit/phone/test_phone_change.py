"""The account's own phone number on fakes (docs/reference/phone.md, "Changing and removing
the number"): PATCH /user texts a code to the new number through the send_sms hook (kind
``phone_change``), POST /user/phone/verify proves it with every rule of a code, DELETE
/user/phone removes it unless it is the account's last way in; each needs a recent sign-in.
tests/e2e/phone/test_phone_change_emulator.py runs the races on Firestore."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from application.ports import Audit
from bootstrap.accounts import AccountsAdapters
from bootstrap.hooks import HooksAdapters
from bootstrap.signin_adapters import SigninAdapters
from domain.accounts.identities import PhoneNumber
from tests.fakes.hooks import FakeHookClient
from tests.support.api import bearer, login, register
from tests.support.app import World
from tests.support.mail_flows import notices, press, verified
from tests.support.step_up import challenged
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit

HOOK = "http://127.0.0.1:9/sms"
NUMBER, OTHER = "+33612345678", "+34612345678"
REAUTH_MAX_AGE = 600  # the default


def phone_world(**settings: object) -> World:
    """A world with phone sign-in on: PHONE_SIGN_IN and a send_sms hook."""
    world = World(phone_sign_in=True, **settings)
    world.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "send_sms", HOOK))
    return world


def texts(world: World, to: str) -> list[dict[str, Any]]:
    """The send_sms hook's payloads to ``to``, in order."""
    world.deliver()
    client = world.adapters.of(HooksAdapters).hook_client
    assert isinstance(client, FakeHookClient)
    payloads = [json.loads(body) for url, body, *_ in client.asked if url == HOOK]
    return [p for p in payloads if p["to"] == to]


def code_to(world: World, to: str) -> str:
    code: str = texts(world, to)[-1]["code"]
    return code


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


@contextmanager
def long_ago(world: World) -> Iterator[None]:
    """What is done inside happens REAUTH_MAX_AGE and a second ago: a sign-in there is too
    old for a change now, and its access token still valid."""
    world.clock.advance(seconds=-(REAUTH_MAX_AGE + 1))
    try:
        yield
    finally:
        world.clock.advance(seconds=REAUTH_MAX_AGE + 1)


def signed_in(world: World, username: str = "ann") -> dict[str, str]:
    register(world.client, username)
    return bearer(login(world.client, username))


def change(world: World, headers: dict[str, str], number: str = NUMBER, **more: object) -> Any:
    return world.client.patch("/user", json={"phone_number": number, **more}, headers=headers)


def prove(world: World, headers: dict[str, str], code: str) -> Any:
    return world.client.post("/user/phone/verify", json={"code": code}, headers=headers)


def me(world: World, headers: dict[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = world.client.get("/user", headers=headers).get_json()
    return found


def problem(answer: Any, status: int, code: str) -> None:
    assert answer.status_code == status, answer.get_json()
    assert answer.get_json()["code"] == code


def with_number(world: World, headers: dict[str, str], number: str) -> None:
    """The account's number changed to ``number``, by its code."""
    assert change(world, headers, number).status_code == 202
    assert prove(world, headers, code_to(world, number)).status_code == 200


# -- the change


def test_a_code_to_the_new_number_proves_it_and_the_account_keeps_its_own_until_then() -> None:
    world = phone_world()
    ann = signed_in(world)
    with_number(world, ann, OTHER)
    world.clock.advance(seconds=30)
    asked = change(world, ann, "+33 6 12 34 56 78")
    assert asked.status_code == 202 and asked.get_json() == {"expires_in": 600}
    [text] = texts(world, NUMBER)
    assert (text["kind"], text["locale"]) == ("phone_change", "en")
    assert text["text"].startswith(f"{text['code']} is your code to set this number on your")
    assert text["text"].endswith(f"\n@127.0.0.1 #{text['code']}")
    kept = me(world, ann)
    assert (kept["phone_number"], kept["phone_number_verified"]) == (OTHER, True)
    proven = prove(world, ann, text["code"])
    assert proven.status_code == 200, proven.get_json()
    assert (proven.get_json()["phone_number"], proven.get_json()["phone_number_verified"]) == (
        NUMBER,
        True,
    )
    users = world.adapters.of(AccountsAdapters).users
    assert users.find_by_phone_number(NUMBER) is not None
    assert users.find_by_phone_number(OTHER) is None  # the old one released
    changes = [e for e in world.audit.events if e.event is Audit.PHONE_CHANGE]
    assert [e.user_id for e in changes] == [kept["id"]] * 2
    again = prove(world, ann, text["code"])
    problem(again, 400, "invalid_phone_flow")


def test_the_text_goes_in_the_accounts_language() -> None:
    world = phone_world()
    ann = signed_in(world)
    assert world.client.patch("/user", json={"locale": "es"}, headers=ann).status_code == 200
    assert change(world, ann).status_code == 202
    [text] = texts(world, NUMBER)
    assert text["locale"] == "es" and "es tu código para poner este número" in text["text"]


def test_a_number_another_account_holds_is_asked_as_any_and_refused_at_the_proof() -> None:
    world = phone_world()
    bob = signed_in(world, "bob")
    with_number(world, bob, NUMBER)
    ann = signed_in(world)
    world.clock.advance(seconds=30)  # the number's own gap between two requests of a client
    asked = change(world, ann)
    assert asked.status_code == 202 and asked.get_json() == {"expires_in": 600}
    taken = prove(world, ann, code_to(world, NUMBER))
    problem(taken, 409, "phone_number_taken")
    assert me(world, ann)["phone_number"] is None
    assert me(world, bob)["phone_number"] == NUMBER
    problem(prove(world, ann, code_to(world, NUMBER)), 400, "invalid_phone_flow")  # spent


def test_five_wrong_codes_end_the_change_and_count_under_the_accounts_own_key() -> None:
    world = phone_world()
    ann = signed_in(world)
    assert change(world, ann).status_code == 202
    code = code_to(world, NUMBER)
    for _ in range(5):
        problem(prove(world, ann, wrong(code)), 400, "invalid_phone_code")
    problem(prove(world, ann, code), 400, "invalid_phone_flow")
    user_id = me(world, ann)["id"]
    key = f"account:phone_change:{user_id}"
    records = world.adapters.of(SigninAdapters).throttle.load(
        [key, f"account:{NUMBER}", "account:ann"]
    )
    assert records[key].failures == 5
    # Neither the number's sign-in nor the account's password is locked by them.
    assert f"account:{NUMBER}" not in records and "account:ann" not in records


def test_a_code_lasts_ten_minutes_and_a_new_request_voids_the_one_before() -> None:
    world = phone_world()
    world.clock.advance(minutes=-11)  # the tokens' times stay behind the wall clock's
    ann = signed_in(world)
    assert change(world, ann).status_code == 202
    first = code_to(world, NUMBER)
    world.clock.advance(seconds=30)
    assert change(world, ann, OTHER).status_code == 202
    second = code_to(world, OTHER)
    if first != second:
        problem(prove(world, ann, first), 400, "invalid_phone_code")
    world.clock.advance(seconds=630)  # the wall clock's time: the second code's 10:30 later
    fresh = bearer(login(world.client, "ann"))
    problem(prove(world, fresh, second), 400, "invalid_phone_flow")
    assert me(world, fresh)["phone_number"] is None


def test_without_a_change_asked_the_proof_is_400() -> None:
    world = phone_world()
    problem(prove(world, signed_in(world), "123456"), 400, "invalid_phone_flow")


def test_each_account_asks_one_code_each_30_seconds_five_an_hour() -> None:
    world = phone_world(rate_limit_enabled=False)
    ann, bob = signed_in(world), signed_in(world, "bob")
    assert change(world, ann).status_code == 202
    soon = change(world, ann, OTHER)
    problem(soon, 429, "phone_code_rate_limited")
    assert soon.headers["Retry-After"] == "30"
    # another account's own requests (for another number: the number's own bound holds too)
    assert change(world, bob, "+33612345679").status_code == 202


def test_the_sms_budget_is_spent_as_any_texts() -> None:
    world = phone_world(sms_budgets="+33:1/h,*:200/h")
    ann, bob = signed_in(world), signed_in(world, "bob")
    assert change(world, ann).status_code == 202
    over = change(world, bob, "+33612345679")
    problem(over, 429, "sms_budget")
    assert 0 < int(over.headers["Retry-After"]) <= 3600
    assert texts(world, "+33612345679") == []
    off = phone_world(sms_enabled=False)
    problem(change(off, signed_in(off)), 429, "sms_budget")
    assert texts(off, NUMBER) == []


@pytest.mark.parametrize(
    ("typed", "code"),
    [("0612345678", "invalid_phone_number"), ("+1 900 555 0123", "phone_number_type")],
)
def test_a_number_that_cannot_be_texted_is_422_as_at_sign_in(typed: str, code: str) -> None:
    world = phone_world()
    problem(change(world, signed_in(world), typed), 422, code)


def test_the_number_goes_alone() -> None:
    world = phone_world()
    ann = signed_in(world)
    mixed = change(world, ann, name="Ann")
    problem(mixed, 422, "phone_number_alone")
    assert me(world, ann)["name"] is None and texts(world, NUMBER) == []
    stray = world.client.patch("/user", json={"challenge_token": "x"}, headers=ann)
    problem(stray, 422, "unknown_field")
    assert world.client.patch("/user", json={"name": "Ann"}, headers=ann).status_code == 200


def test_every_change_asks_for_a_recent_sign_in() -> None:
    world = phone_world()
    with long_ago(world):
        ann = signed_in(world)
    challenged(change(world, ann))
    challenged(prove(world, ann, "123456"))
    challenged(world.client.delete("/user/phone", headers=ann))
    assert texts(world, NUMBER) == []


@pytest.mark.parametrize(
    ("settings", "hooked"),
    [({"phone_sign_in": False}, True), ({"phone_sign_in": True}, False)],
    ids=["setting_off", "no_hook"],
)
def test_while_phone_sign_in_is_off_a_number_is_not_changed_but_may_go(
    settings: dict[str, object], hooked: bool
) -> None:
    off = World(**settings)
    if hooked:
        off.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "send_sms", HOOK))
    ann = signed_in(off)
    users, now = off.adapters.of(AccountsAdapters).users, off.clock.now()
    users.update(me(off, ann)["id"], lambda u: u.with_part(PhoneNumber.proven_as(NUMBER), now))
    problem(change(off, ann, OTHER), 404, "phone_disabled")
    problem(prove(off, ann, "123456"), 404, "phone_disabled")
    assert off.client.delete("/user/phone", headers=ann).status_code == 204
    assert me(off, ann)["phone_number"] is None


# -- the removal


def test_removing_the_number_releases_it_and_is_404_when_there_is_none() -> None:
    world = phone_world()
    ann = signed_in(world)
    with_number(world, ann, NUMBER)
    gone = world.client.delete("/user/phone", headers=ann)
    assert gone.status_code == 204
    assert (me(world, ann)["phone_number"], me(world, ann)["phone_number_verified"]) == (
        None,
        False,
    )
    assert world.adapters.of(AccountsAdapters).users.find_by_phone_number(NUMBER) is None
    [removed] = [e for e in world.audit.events if e.event is Audit.PHONE_REMOVED]
    assert removed.user_id == me(world, ann)["id"]
    listed = world.client.get("/auth/events", headers=ann).get_json()["items"]
    assert {"phone.changed", "phone.removed"} <= {event["type"] for event in listed}
    problem(world.client.delete("/user/phone", headers=ann), 404, "phone_number_not_found")
    bob = signed_in(world, "bob")
    world.clock.advance(seconds=30)  # the number's own gap between two requests of a client
    with_number(world, bob, NUMBER)  # free for another account now


def test_a_number_that_is_the_only_way_in_stays() -> None:
    world = phone_world()
    world.clock.advance(minutes=-5)  # the tokens' times stay behind the wall clock's
    flow = world.client.post("/auth/phone-code", json={"phone_number": NUMBER})
    signed = world.client.post(
        "/auth/phone-code/verify",
        json={"flow_id": flow.get_json()["flow_id"], "code": code_to(world, NUMBER)},
    )
    assert signed.status_code == 200, signed.get_json()
    only = bearer(signed.get_json()["access_token"])
    problem(world.client.delete("/user/phone", headers=only), 409, "last_sign_in_method")
    assert me(world, only)["phone_number"] == NUMBER
    # With an address (which a mailed code or a reset proves), it may go.
    world.clock.advance(minutes=5)
    set_address = world.client.patch("/user", json={"email": "ann@example.com"}, headers=only)
    assert set_address.status_code == 200, set_address.get_json()
    assert world.client.delete("/user/phone", headers=only).status_code == 204


# -- the notice of a new way in


def with_a_proven_address_and(world: World, number: str) -> dict[str, str]:
    """Ann, whose address is proven (a notice goes to it), with ``number`` proven since; her
    bearer header."""
    ann = bearer(verified(world, "ann"))
    with_number(world, ann, number)
    world.deliver()
    return ann


def test_a_new_number_is_told_by_mail_and_the_link_takes_it_off_the_account() -> None:
    world = phone_world()
    ann = with_a_proven_address_and(world, NUMBER)
    [notice] = notices(world, "ann@example.com")
    assert "a phone number ending in 78 was added to your" in " ".join(notice.text.split())
    assert "it removes this way to sign in" in " ".join(notice.text.split())
    user_id = me(world, ann)["id"]
    link = next(w for w in notice.text.split() if "/not-me?token=" in w)
    assert press(world, parse_qs(urlsplit(link).query)["token"][0])[0] == 200
    users = world.adapters.of(AccountsAdapters).users
    assert users.find_by_phone_number(NUMBER) is None  # released with the number
    account = users.get(user_id)
    assert account is not None and account.part(PhoneNumber).number is None


def test_a_number_changed_again_since_the_notice_is_not_taken_off() -> None:
    world = phone_world()
    ann = with_a_proven_address_and(world, NUMBER)
    [first] = notices(world, "ann@example.com")
    world.clock.advance(seconds=60)
    with_number(world, ann, OTHER)
    link = next(w for w in first.text.split() if "/not-me?token=" in w)
    assert press(world, parse_qs(urlsplit(link).query)["token"][0])[0] == 200
    assert world.adapters.of(AccountsAdapters).users.find_by_phone_number(OTHER) is not None
