"""The pages of sign-in by a texted code on fakes (docs/pages.md): "Text me a code" on
/sign-in only while phone sign-in is on; the number, then the code, signing in as
``POST /auth/phone-code[/verify]`` does; every refusal of the API said in words beside its
field or above the form, in English and Spanish; a second factor and an org's single
sign-on go on as the e-mail code's pages do; the challenge's widget when a signal asks."""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from application.hooks.admin import AuthHookRef, SetAuthHook
from application.hooks.services import HookServices
from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from bootstrap.accounts import AccountsAdapters
from bootstrap.hooks import HooksAdapters
from domain.accounts.identities import PhoneNumber
from tests.fakes.hooks import FakeHookClient
from tests.support.api import register
from tests.support.app import World
from tests.support.pages import csrf
from tests.support.sso_world import oidc_sso
from tests.support.totp import register_with_totp
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit

HOOK = "http://127.0.0.1:9/sms"
NUMBER, OTHER = "+33612345678", "+34612345678"
PREMIUM = "+44 909 879 0000"
ASK = "/sign-in/phone-code"
TURNSTILE = {
    "challenge_provider": "turnstile",
    "challenge_site_key": "k",
    "challenge_secret": "s",
}


def phone_world(**settings: object) -> World:
    """A world with phone sign-in on: PHONE_SIGN_IN and a send_sms hook."""
    world = World(phone_sign_in=True, **settings)
    world.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "send_sms", HOOK))
    return world


def texted_code(world: World, to: str) -> str:
    """The code of the last text the send_sms hook was given for ``to``."""
    world.deliver()
    client = world.adapters.of(HooksAdapters).hook_client
    assert isinstance(client, FakeHookClient)
    payloads = [json.loads(body) for url, body, *_ in client.asked if url == HOOK]
    code: str = [p for p in payloads if p["to"] == to][-1]["code"]
    return code


def post_number(client: FlaskClient, typed: str, path: str = ASK) -> TestResponse:
    return client.post(path, data={"phone_number": typed, "csrf_token": csrf(client, ASK)})


def ask(client: FlaskClient, typed: str = NUMBER) -> str:
    """The code page's path, after asking for a code in ``client``."""
    answer = post_number(client, typed)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    location = answer.headers["Location"]
    assert location.startswith("/sign-in/phone-code/verify?flow=")
    return location


def send_code(client: FlaskClient, path: str, code: str) -> TestResponse:
    return client.post(path, data={"code": code, "csrf_token": csrf(client, path)})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def holder(world: World, username: str, to: str = NUMBER) -> dict[str, Any]:
    made = register(world.client, username)
    world.adapters.of(AccountsAdapters).users.update(
        made["id"], lambda u: u.with_part(PhoneNumber.proven_as(to), world.clock.now())
    )
    return made


def alert(html: str) -> str:
    found = re.search(r'role="alert">([^<]*)<', html)
    assert found is not None, html
    return unescape(found.group(1))


def test_the_sign_in_page_offers_a_texted_code_only_while_phone_sign_in_is_on() -> None:
    on = phone_world().client.get("/sign-in").get_data(as_text=True)
    assert '<a href="/sign-in/phone-code?next=%2Faccount">Text me a code</a>' in on
    for off in (World(), World(phone_sign_in=True)):  # the setting alone: no hook, no texts
        html = off.client.get("/sign-in").get_data(as_text=True)
        assert "/sign-in/phone-code" not in html
        for path in (ASK, f"{ASK}/verify?flow=x"):
            page = off.client.get(path)
            assert page.status_code == 404 and "Signing in by text message is off here." in (
                page.get_data(as_text=True)
            )


def test_the_hook_removed_the_sign_in_page_no_longer_offers_it() -> None:
    """The sign-in page is kept per context: whether texts can go is part of it."""
    world = World(phone_sign_in=True)
    hook = world.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "send_sms", HOOK)).hook
    assert "Text me a code" in world.client.get("/sign-in").get_data(as_text=True)
    world.services.of(HookServices).hooks.remove(AuthHookRef(ADMIN, hook.hook_id))
    assert "Text me a code" not in world.client.get("/sign-in").get_data(as_text=True)
    assert world.client.get(ASK).status_code == 404


def test_the_fields_are_a_phones_and_a_one_time_codes() -> None:
    world = phone_world()
    html = world.client.get(ASK).get_data(as_text=True)
    assert re.search(
        r'<input id="phone_number" name="phone_number" type="tel" autocomplete="tel"'
        r' inputmode="tel" required>',
        html,
    )
    assert 'action="/sign-in/phone-code?next=%2Faccount"' in html
    code_page = world.client.get(ask(world.client)).get_data(as_text=True)
    assert re.search(
        r'<input id="code" name="code" type="text" autocomplete="one-time-code"'
        r' inputmode="numeric" required>',
        code_page,
    )


def test_a_texted_code_signs_in_and_is_spent() -> None:
    world = phone_world()
    made = holder(world, "ana")
    path = ask(world.client, "+33 6 12 34 56 78")
    code = texted_code(world, NUMBER)
    answer = send_code(
        world.client, path.replace("next=%2Faccount", "next=%2Faccount%2Fapps"), code
    )
    assert answer.status_code == 303 and answer.headers["Location"] == "/account/apps"
    assert made["username"] in world.client.get("/account").get_data(as_text=True)
    again = send_code(world.app.test_client(), path, code)
    assert again.status_code == 400
    assert alert(again.get_data(as_text=True)) == (
        "This code has expired or was replaced; ask for a new one."
    )


def test_a_number_without_an_account_signs_up() -> None:
    world = phone_world()
    path = ask(world.client)
    answer = send_code(world.client, path, texted_code(world, NUMBER))
    assert answer.status_code == 303 and answer.headers["Location"] == "/account"
    [account] = list(world.store.users.values())
    assert account.part(PhoneNumber).number == NUMBER and account.email is None


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        (
            "0612345678",
            "Not a phone number: give it in full, with + and the country's calling code.",
        ),
        (PREMIUM, "This kind of number cannot be sent a code: give a mobile or landline number."),
    ],
    ids=["invalid", "premium"],
)
def test_a_number_that_cannot_be_sent_a_code_is_said_beside_its_field(
    typed: str, said: str
) -> None:
    world = phone_world()
    answer = post_number(world.client, typed)
    assert answer.status_code == 422
    html = unescape(answer.get_data(as_text=True))
    assert f'<span class="error" id="phone_number-error" role="alert">{said}</span>' in html
    assert f'value="{typed}"' in html and 'aria-invalid="true"' in html  # typed, kept
    world.deliver()
    assert world.adapters.of(HooksAdapters).hook_client.asked == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("language", "said", "wait"),
    [
        ("en", "No more text messages can be sent to this number now.", "You can try again in"),
        ("es", "No se pueden enviar más mensajes de texto", "Puedes volver a intentarlo en"),
    ],
)
def test_over_the_sms_budget_the_form_says_so_and_when(language: str, said: str, wait: str) -> None:
    world = phone_world(sms_budgets="+33:0/h,*:200/h")
    world.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    answer = post_number(world.client, NUMBER)
    assert answer.status_code == 429
    assert 0 < int(answer.headers["Retry-After"]) <= 3600
    said_here = alert(answer.get_data(as_text=True))
    assert said in said_here and wait in said_here
    assert f'value="{NUMBER}"' in answer.get_data(as_text=True)


def test_a_second_request_too_soon_says_to_wait() -> None:
    world = phone_world()
    ask(world.client)
    answer = post_number(world.client, NUMBER)
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "30"
    said = alert(answer.get_data(as_text=True))
    assert said.startswith("A code was sent to this number moments ago") and "30" in said


def test_past_the_per_address_request_limit_the_form_comes_back() -> None:
    """RATE_LIMIT_PHONE_CODE, the API route's, counts the page's requests too."""
    world = phone_world(rate_limit_phone_code="1/minute")
    ask(world.client)
    answer = post_number(world.client, OTHER)
    assert answer.status_code == 429
    said = alert(answer.get_data(as_text=True))
    assert said.startswith("Too many attempts; try again later.")
    assert f'value="{OTHER}"' in answer.get_data(as_text=True)


def test_a_wrong_code_is_said_and_five_end_the_flow() -> None:
    world = phone_world()
    path = ask(world.client)
    code = texted_code(world, NUMBER)
    for _ in range(5):
        answer = send_code(world.client, path, wrong(code))
        assert answer.status_code == 400
        html = answer.get_data(as_text=True)
        assert alert(html) == "That code is not right; try again."
        assert 'name="code"' in html and f"value={code!r}" not in html
    late = send_code(world.client, path, code)
    assert late.status_code == 400
    assert alert(late.get_data(as_text=True)) == (
        "This code has expired or was replaced; ask for a new one."
    )


def test_a_second_factor_continues_to_its_page() -> None:
    world = phone_world()
    register_with_totp(world.client, "max")
    [user] = [u for u in world.store.users.values() if u.shown_name == "max"]
    world.adapters.of(AccountsAdapters).users.update(
        user.id, lambda u: u.with_part(PhoneNumber.proven_as(NUMBER), world.clock.now())
    )
    browser = world.app.test_client()
    path = ask(browser)
    answer = send_code(browser, path, texted_code(world, NUMBER))
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/sign-in/mfa?next=%2Faccount"
    assert "firegate_mfa=" in answer.headers["Set-Cookie"]


def test_an_org_that_requires_its_single_sign_on_sends_the_person_there() -> None:
    with oidc_sso(phone_sign_in=True) as sso:
        world = sso.world
        world.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "send_sms", HOOK))
        made = register(world.client, "mel", email="mel@corp.example")
        world.adapters.of(AccountsAdapters).users.update(
            made["id"], lambda u: u.with_part(PhoneNumber.proven_as(NUMBER), world.clock.now())
        )
        world.services.of(OrgServices).members.add_member(AddMember(sso.org_id, "mel", ("member",)))
        on = world.client.patch("/orgs/corp", json={"require_sso": True}, headers=sso.owner)
        assert on.status_code == 200, on.get_json()
        browser = world.app.test_client()
        path = ask(browser)
        answer = send_code(browser, path, texted_code(world, NUMBER))
        assert (
            "/sso/" in answer.headers["Refresh"] and "next=%2Faccount" in answer.headers["Refresh"]
        )
        assert browser.get("/account").status_code == 303  # not signed in


def test_a_signal_shows_the_challenge_as_the_e_mail_codes_page_does() -> None:
    world = phone_world(**TURNSTILE, challenge_email_codes_per_hour=1)
    ask(world.client)
    answer = post_number(world.client, OTHER)
    assert answer.status_code == 401
    html = answer.get_data(as_text=True)
    assert 'id="challenge"' in html and 'data-action="phone_code"' in html
    assert 'name="challenge_token"' in html
    assert alert(html) == "Complete the check below, then send the form again."


def test_the_pages_speak_spanish() -> None:
    world = phone_world()
    world.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    assert "Envíame un código por SMS" in world.client.get("/sign-in").get_data(as_text=True)
    html = world.client.get(ASK).get_data(as_text=True)
    assert "Envíame un código por SMS" in html and "Número de teléfono" in html
    code_page = world.client.get(ask(world.client)).get_data(as_text=True)
    assert "Código del SMS" in code_page
    wrong_number = post_number(world.client, PREMIUM).get_data(as_text=True)
    assert "Este tipo de número no puede recibir un código" in wrong_number


def test_forged_posts_without_the_csrf_token_are_403_and_send_nothing() -> None:
    world = phone_world()
    forger = world.app.test_client()
    forger.get("/sign-in")
    assert forger.post(ASK, data={"phone_number": NUMBER}).status_code == 403
    world.deliver()
    assert world.adapters.of(HooksAdapters).hook_client.asked == []  # type: ignore[attr-defined]
    path = ask(world.client)
    code = texted_code(world, NUMBER)
    assert world.client.post(path, data={"code": code}).status_code == 403
    assert send_code(world.client, path, code).status_code == 303  # not spent by the forgery


def test_the_flow_is_the_asking_browsers_its_id_elsewhere_opens_nothing() -> None:
    world = phone_world()
    path = ask(world.client)
    cookie = world.client.get_cookie("firegate_phone-code")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Strict"
    code = texted_code(world, NUMBER)
    other = world.app.test_client()
    stolen = send_code(other, path, code)
    assert stolen.status_code == 400 and other.get("/account").status_code == 303
    flow_id = path.split("flow=", 1)[1].split("&", 1)[0]
    by_api = other.post("/auth/phone-code/verify", json={"flow_id": flow_id, "code": code})
    assert by_api.status_code == 400 and by_api.get_json()["code"] == "invalid_phone_flow"
    done = send_code(world.client, path, code)  # the asking browser's code still works
    assert done.status_code == 303
    assert "firegate_phone-code=;" in done.headers.getlist("Set-Cookie")[-1]  # spent with it
