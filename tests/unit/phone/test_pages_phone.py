"""The phone number on the account's profile page, on the fakes (docs/pages.md, "The account
area"): shown while phone sign-in is on or when the account has a number; a new number by a
code texted to it (``autocomplete="tel"``, then ``one-time-code``), its removal; English and
Spanish."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from bootstrap.accounts import AccountsAdapters
from bootstrap.hooks import HooksAdapters
from domain.accounts.identities import PhoneNumber
from tests.fakes.accounts import FakeChallengeVerifier
from tests.fakes.hooks import FakeHookClient
from tests.support.app import World
from tests.support.pages import csrf, sign_up
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit

HOOK = "http://127.0.0.1:9/sms"
NUMBER = "+33612345678"
SHOWN = "+33 6 12 34 56 78"  # NUMBER as people write it: its international format


def phone_world(**settings: object) -> World:
    world = World(phone_sign_in=True, **settings)
    world.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "send_sms", HOOK))
    sign_up(world)
    return world


def texted_code(world: World) -> str:
    world.deliver()
    client = world.adapters.of(HooksAdapters).hook_client
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
    assert f"A code is on its way to {SHOWN}." in html
    assert 'name="code" type="text" autocomplete="one-time-code" inputmode="numeric"' in html
    code = texted_code(world)
    wrong = send(world, "/account/phone/verify", {"code": f"{(int(code) + 1) % 10**6:06d}"})
    assert wrong.status_code == 400
    assert 'id="phone-code-code-error"' in wrong.get_data(as_text=True)
    proven = send(world, "/account/phone/verify", {"code": code})
    assert proven.status_code == 303 and proven.headers["Location"] == "/account?done=phone"
    html = page(world)
    assert f'<span class="phone">{SHOWN}</span> (verified)' in html
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
    world.adapters.of(AccountsAdapters).users.update(
        alice.id, lambda u: u.with_part(PhoneNumber.proven_as(NUMBER), now)
    )
    html = page(world)
    assert 'id="phone-heading"' in html and SHOWN in html
    assert 'autocomplete="tel"' not in html  # not changed while it is off
    assert send(world, "/account/phone/remove", {}).status_code == 303
    assert 'id="phone-heading"' not in page(world)


def test_forged_posts_without_the_csrf_token_are_403_and_change_nothing() -> None:
    world = phone_world()
    hooks = world.adapters.of(HooksAdapters).hook_client
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
    assert f'<span class="phone">{SHOWN}</span> (verified)' in page(world)


def test_signing_in_again_for_a_change_of_number_comes_back_to_the_profile() -> None:
    world = World(phone_sign_in=True)
    world.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "send_sms", HOOK))
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
    world.clock.in_one_hour(timedelta(minutes=2))  # the texts below are counted in one hour
    assert send(world, "/account/phone", {"phone_number": NUMBER}).status_code == 303
    again = send(world, "/account/phone", {"phone_number": NUMBER})
    assert again.status_code == 401
    html = again.get_data(as_text=True)
    form = html[html.index('action="/account/phone"') :]
    form = form[: form.index("</form>")]
    assert 'data-action="phone_change"' in form and 'name="challenge_token"' in form
    verifier = world.adapters.of(AccountsAdapters).challenge
    assert isinstance(verifier, FakeChallengeVerifier)
    verifier.valid.add("passes")
    world.clock.advance(seconds=60)  # past the pause between two texts to one number
    passed = send(world, "/account/phone", {"phone_number": NUMBER, "challenge_token": "passes"})
    assert passed.status_code == 303 and passed.headers["Location"] == "/account?done=phone-sent"
    assert [(token, action) for token, action, _ in verifier.asked] == [("passes", "phone_change")]


def proven(world: World, number: str = NUMBER) -> None:
    [alice] = world.store.users.values()
    now = world.clock.now()
    world.adapters.of(AccountsAdapters).users.update(
        alice.id, lambda u: u.with_part(PhoneNumber.proven_as(number), now)
    )


def button(html: str, action: str) -> str:
    """The submit button of the form posting to ``action``."""
    form = html[html.index(f'action="{action}"') :]
    form = form[: form.index("</form>")]
    return form[form.index("<button") : form.index("</button>") + len("</button>")]


def test_numbers_are_shown_as_people_write_them() -> None:
    world = phone_world()
    proven(world, "+34612345678")
    send(world, "/account/phone", {"phone_number": NUMBER})
    html = page(world)
    assert '<span class="phone">+34 612 34 56 78</span> (verified)' in html
    assert f"A code is on its way to {SHOWN}." in html
    assert "+34612345678" not in html and f">{NUMBER}" not in html


def test_removing_the_number_is_a_quiet_button_as_other_removals() -> None:
    world = phone_world()
    proven(world)
    removal = button(page(world), "/account/phone/remove")
    assert removal == '<button type="submit" class="quiet">Remove the phone number</button>'


def test_while_a_change_waits_each_button_says_which_number_it_texts() -> None:
    world = phone_world()
    assert send(world, "/account/phone", {"phone_number": NUMBER}).status_code == 303
    html = page(world)
    again = html[html.index('action="/account/phone/again"') :]
    again = again[: again.index("</form>")]
    assert f'name="phone_number" value="{NUMBER}"' in again
    assert f"Send a new code to {SHOWN}" in again
    assert button(html, "/account/phone") == (
        '<button type="submit">Send a code to this number</button>'
    )
    assert "Send a new code</button>" not in html
    world.deliver()  # the first code's text, before a new code voids it
    world.clock.advance(seconds=30)
    resent = send(world, "/account/phone/again", {"phone_number": NUMBER})
    assert resent.status_code == 303 and resent.headers["Location"] == "/account?done=phone-sent"
    world.deliver()
    hooks = world.adapters.of(HooksAdapters).hook_client
    assert isinstance(hooks, FakeHookClient)
    assert [json.loads(body)["to"] for url, body, *_ in hooks.asked] == [NUMBER, NUMBER]
    es = page(world, **{"Accept-Language": "es"})
    assert "Enviar un código nuevo al +33 6 12 34 56 78" in es


def texted_sign_up(world: World, typed: str = NUMBER) -> None:
    """A person signs up on the pages with a code texted to ``typed``."""
    path = "/sign-in/phone-code"
    asked = world.client.post(
        path, data={"phone_number": typed, "csrf_token": csrf(world.client, path)}
    )
    assert asked.status_code == 303, asked.get_data(as_text=True)
    code_page = asked.headers["Location"]
    form = {"code": texted_code(world), "csrf_token": csrf(world.client, code_page)}
    signed_in = world.client.post(code_page, data=form)
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/account"


def test_after_a_sign_up_by_text_the_profile_invites_the_person_to_choose_a_username() -> None:
    world = World(phone_sign_in=True)
    world.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "send_sms", HOOK))
    world.clock.advance(minutes=-5)  # the tokens' times stay behind the wall clock's
    texted_sign_up(world)
    html = page(world)
    [made] = world.store.users.values()
    assert made.username is not None and made.username.value.startswith("user_")
    invitation = html[html.index('id="choose-username"') :]
    invitation = invitation[: invitation.index("</p>")]
    assert f"Your username, {made.username.value}, was made for you" in invitation
    assert '<a href="#profile-username">Choose your username</a>' in invitation
    assert 'id="profile-username"' in html
    es = page(world, **{"Accept-Language": "es"})
    assert "Elige tu nombre de usuario" in es
    form = {"username": "ann", "email": "", "name": "", "last_name": ""}
    assert send(world, "/account/profile", form).status_code == 303
    assert 'id="choose-username"' not in page(world)


def test_a_chosen_username_gets_no_invitation() -> None:
    world = phone_world()  # alice, chosen at sign-up
    proven(world)
    assert 'id="choose-username"' not in page(world)
