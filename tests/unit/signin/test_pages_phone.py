"""The phone number on the account's profile page, on the fakes (docs/pages.md, "The account
area"): shown while phone sign-in is on or when the account has a number; a new number by a
code texted to it (``autocomplete="tel"``, then ``one-time-code``), its removal; English and
Spanish."""

from __future__ import annotations

import json
from typing import Any

import pytest

from application.hooks.admin import SetAuthHook
from tests.fakes.accounts import FakeChallengeVerifier
from tests.fakes.hooks import FakeHookClient
from tests.support.app import World
from tests.support.pages import csrf, sign_up
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit

HOOK = "http://127.0.0.1:9/sms"
NUMBER = "+33612345678"


def phone_world(**settings: object) -> World:
    world = World(phone_sign_in=True, **settings)
    world.services.hooks.hooks.set(SetAuthHook(ADMIN, "send_sms", HOOK))
    sign_up(world)
    return world


def texted_code(world: World) -> str:
    world.deliver()
    client = world.adapters.hooks.hook_client
    assert isinstance(client, FakeHookClient)
    code: str = [json.loads(body) for url, body, *_ in client.asked if url == HOOK][-1]["code"]
    return code


def send(world: World, path: str, form: dict[str, str], **headers: str) -> Any:
    token = csrf(world.client, "/account")
    return world.client.post(path, data={**form, "csrf_token": token}, headers=headers)


def page(world: World, **headers: str) -> str:
    answer = world.client.get("/account", headers=headers)
    assert answer.status_code == 200
    html: str = answer.get_data(as_text=True)
    return html


def test_a_number_is_changed_by_its_code_and_removed_from_the_profile() -> None:
    world = phone_world()
    html = page(world)
    assert 'id="phone-heading"' in html and "No phone number." in html
    assert 'name="phone_number" type="tel" autocomplete="tel"' in html
    assert 'autocomplete="one-time-code"' not in html  # no change is live yet
    asked = send(world, "/account/phone", {"phone_number": "+33 6 12 34 56 78"})
    assert asked.status_code == 303 and asked.headers["Location"] == "/account?done=phone-sent"
    html = page(world)
    assert f"A code is on its way to {NUMBER}." in html
    assert 'name="code" type="text" autocomplete="one-time-code" inputmode="numeric"' in html
    code = texted_code(world)
    wrong = send(world, "/account/phone/verify", {"code": f"{(int(code) + 1) % 10**6:06d}"})
    assert wrong.status_code == 400
    assert 'id="phone-code-code-error"' in wrong.get_data(as_text=True)
    proven = send(world, "/account/phone/verify", {"code": code})
    assert proven.status_code == 303 and proven.headers["Location"] == "/account?done=phone"
    html = page(world)
    assert f'<span class="phone">{NUMBER}</span> (verified)' in html
    assert "Remove the phone number" in html
    removed = send(world, "/account/phone/remove", {})
    assert removed.headers["Location"] == "/account?done=phone-removed"
    assert "No phone number." in page(world)


def test_a_number_that_cannot_be_is_said_beside_its_field_in_spanish() -> None:
    world = phone_world()
    es = {"Accept-Language": "es"}
    assert "Número de teléfono" in page(world, **es)
    refused = send(world, "/account/phone", {"phone_number": "0612345678"}, **es)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="phone-phone_number-error"' in html
    assert "No es un número de teléfono" in html


def test_the_section_is_hidden_while_phone_sign_in_is_off_unless_the_account_has_a_number() -> None:
    world = World()
    sign_up(world)
    assert 'id="phone-heading"' not in page(world)
    [alice] = world.store.users.values()
    now = world.clock.now()
    world.adapters.accounts.users.update(
        alice.id, lambda u: u.with_phone_number_proven(NUMBER, now)
    )
    html = page(world)
    assert 'id="phone-heading"' in html and NUMBER in html
    assert 'autocomplete="tel"' not in html  # not changed while it is off
    assert send(world, "/account/phone/remove", {}).status_code == 303
    assert 'id="phone-heading"' not in page(world)


def test_forged_posts_without_the_csrf_token_are_403_and_change_nothing() -> None:
    world = phone_world()
    hooks = world.adapters.hooks.hook_client
    assert isinstance(hooks, FakeHookClient)
    # The signed-in browser's cookies, no form token: as another site's form would post.
    forged = world.client.post("/account/phone", data={"phone_number": NUMBER})
    assert forged.status_code == 403
    world.deliver()
    assert hooks.asked == []  # nothing texted
    assert send(world, "/account/phone", {"phone_number": NUMBER}).status_code == 303
    code = texted_code(world)
    assert world.client.post("/account/phone/verify", data={"code": code}).status_code == 403
    assert "No phone number." in page(world)
    assert send(world, "/account/phone/verify", {"code": code}).status_code == 303
    assert world.client.post("/account/phone/remove", data={}).status_code == 403
    assert f'<span class="phone">{NUMBER}</span> (verified)' in page(world)


def test_signing_in_again_for_a_change_of_number_comes_back_to_the_profile() -> None:
    world = World(phone_sign_in=True)
    world.services.hooks.hooks.set(SetAuthHook(ADMIN, "send_sms", HOOK))
    world.clock.advance(seconds=-3600)  # signed in an hour ago: too long for a new number
    sign_up(world)
    world.clock.advance(seconds=3600)
    asked = send(world, "/account/phone", {"phone_number": NUMBER})
    assert asked.status_code == 303
    assert asked.headers["Location"] == "/sign-in?again=1&next=%2Faccount&username=alice"


def test_a_signal_shows_the_challenge_in_the_number_form_and_its_token_is_passed_on() -> None:
    world = phone_world(
        challenge_provider="turnstile",
        challenge_site_key="k",
        challenge_secret="s",
        challenge_email_codes_per_hour=1,
    )
    assert send(world, "/account/phone", {"phone_number": NUMBER}).status_code == 303
    again = send(world, "/account/phone", {"phone_number": NUMBER})
    assert again.status_code == 401
    html = again.get_data(as_text=True)
    form = html[html.index('action="/account/phone"') :]
    form = form[: form.index("</form>")]
    assert 'data-action="phone_change"' in form and 'name="challenge_token"' in form
    verifier = world.adapters.accounts.challenge
    assert isinstance(verifier, FakeChallengeVerifier)
    verifier.valid.add("passes")
    world.clock.advance(seconds=60)  # past the pause between two texts to one number
    passed = send(world, "/account/phone", {"phone_number": NUMBER, "challenge_token": "passes"})
    assert passed.status_code == 303 and passed.headers["Location"] == "/account?done=phone-sent"
    assert [(token, action) for token, action, _ in verifier.asked] == [("passes", "phone_change")]
