"""Texts to a number within their bounds, on fakes (docs/sign-in-with-a-phone-number.md,
docs/security.md, "Texts to a phone number"): a number's requests are counted on the number
whoever asks, a sign-in's or an account's change of number; a share of each prefix's SMS
budget is kept for numbers that already have an account; a stranger's request leaves the
code another browser or client asked for live, and the strangers' wrong codes lock nobody
out. tests/e2e/phone/test_phone_bounds_emulator.py races them on Firestore."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from bootstrap.accounts import AccountsAdapters
from bootstrap.hooks import HooksAdapters
from bootstrap.units import check_units
from domain.accounts.identities import PhoneNumber
from infrastructure.phone.settings import PhoneSettings
from infrastructure.settings.identity.accounts import AccountSettings
from tests.fakes.hooks import FakeHookClient
from tests.support.api import bearer, login, register
from tests.support.app import World
from tests.support.email_codes import code_in
from tests.support.pages import csrf
from tests.support.settings import PRODUCTION_SETTINGS, make_settings
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit

HOOK = "http://127.0.0.1:9/sms"
NUMBER = "+33612345678"
ADDRESS = "ann@example.com"
ASK_PAGE = "/sign-in/phone-code"
_MADE = itertools.count(1)  # the accounts made by account()


def phone_world(**settings: object) -> World:
    """Phone sign-in on (PHONE_SIGN_IN and a send_sms hook)."""
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


def from_ip(n: int) -> dict[str, Any]:
    """A request from client address number ``n``."""
    return {"environ_overrides": {"REMOTE_ADDR": f"198.51.100.{n}"}}


def account(world: World) -> dict[str, str]:
    """A new account's bearer token, just signed in (a change of number asks a recent
    sign-in; a guest's number comes with its upgrade alone)."""
    name = f"changer{next(_MADE)}"
    register(world.client, name)
    return bearer(login(world.client, name))


def change(world: World, headers: dict[str, str], number: str = NUMBER, ip: int = 1) -> Any:
    return world.client.patch(
        "/user", json={"phone_number": number}, headers=headers, **from_ip(ip)
    )


def ask(world: World, number: str = NUMBER, ip: int = 1) -> Any:
    return world.client.post("/auth/phone-code", json={"phone_number": number}, **from_ip(ip))


def verify(world: World, flow_id: str, code: str, ip: int = 1) -> Any:
    body = {"flow_id": flow_id, "code": code}
    return world.client.post("/auth/phone-code/verify", json=body, **from_ip(ip))


def codes(answers: list[Any]) -> list[tuple[int, str | None]]:
    return [(a.status_code, (a.get_json() or {}).get("code")) for a in answers]


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


# -- a number's requests, counted on the number whoever asks ------------------------------------


def test_changes_of_number_by_many_accounts_of_one_client_text_the_number_once() -> None:
    world = phone_world()
    answers = [change(world, account(world)) for _ in range(12)]
    assert codes(answers) == [(202, None)] + [(429, "phone_code_rate_limited")] * 11
    assert answers[1].headers["Retry-After"] == "30"
    assert len(texts(world, NUMBER)) == 1


def test_sign_ins_and_changes_from_many_clients_share_the_numbers_bound() -> None:
    """Without a challenge provider (allowed in the local profile), twenty an hour from all
    clients, sign-ins and changes together."""
    world = phone_world()
    answers = [
        ask(world, ip=n) if n % 2 else change(world, account(world), ip=n) for n in range(1, 26)
    ]
    assert codes(answers) == [(202, None)] * 20 + [(429, "phone_code_rate_limited")] * 5
    assert len(texts(world, NUMBER)) == 20


def test_past_five_from_all_clients_a_change_asks_the_challenge_a_sign_in_asks() -> None:
    world = phone_world(
        challenge_provider="turnstile", challenge_site_key="k", challenge_secret="s"
    )
    for n in range(1, 6):
        assert ask(world, ip=n).status_code == 202
    asked = change(world, account(world), ip=6)
    assert asked.status_code == 401 and asked.get_json()["code"] == "challenge_required"
    assert len(texts(world, NUMBER)) == 5


# -- a share of each prefix's budget kept for numbers with an account --------------------------


def holder(world: World, username: str, number: str) -> dict[str, Any]:
    made = register(world.client, username)
    world.adapters.of(AccountsAdapters).users.update(
        made["id"], lambda u: u.with_part(PhoneNumber.proven_as(number), world.clock.now())
    )
    return made


def test_numbers_without_an_account_leave_the_accounts_share_of_the_budget() -> None:
    """+336 may be sent 4 texts an hour; SMS_ACCOUNTS_SHARE's default 25 % keeps 1 of them
    for numbers that already have an account."""
    world = phone_world(sms_budgets="+336:4/h,*:200/h")
    holder(world, "ann", NUMBER)
    fresh = [ask(world, f"+3361234560{n}", ip=n) for n in range(1, 4)]
    assert codes(fresh) == [(202, None)] * 3
    refused = ask(world, "+33612345604", ip=4)
    assert refused.status_code == 429 and refused.get_json()["code"] == "sms_budget"
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    changed = change(world, account(world), "+33612345605", ip=5)  # a new number: fresh too
    assert changed.status_code == 429 and changed.get_json()["code"] == "sms_budget"
    assert ask(world, NUMBER, ip=6).status_code == 202  # the kept share
    assert texts(world, "+33612345604") == [] and len(texts(world, NUMBER)) == 1
    spent = ask(world, "+33612345606", ip=7)
    assert spent.status_code == 429 and spent.get_json()["code"] == "sms_budget"


def test_with_no_share_kept_numbers_without_an_account_may_spend_the_whole_budget() -> None:
    world = phone_world(sms_budgets="+336:4/h,*:200/h", sms_accounts_share=0)
    fresh = [ask(world, f"+3361234560{n}", ip=n) for n in range(1, 5)]
    assert codes(fresh) == [(202, None)] * 4


# -- a stranger's request leaves another's code live -------------------------------------------


def mailed_code(world: World, to: str) -> str:
    world.deliver()
    return code_in([m for m in world.mailer.to(to) if "/sign-in/email?" in m.text][-1].text)


def texted_code(world: World, to: str) -> str:
    code: str = texts(world, to)[-1]["code"]
    return code


@pytest.mark.parametrize("channel", ["phone", "email"])
def test_a_strangers_request_leaves_the_code_another_client_asked_for_live(channel: str) -> None:
    world = phone_world()
    path, field, to = (
        ("/auth/phone-code", "phone_number", NUMBER)
        if channel == "phone"
        else ("/auth/email-code", "email", ADDRESS)
    )
    sent = texted_code if channel == "phone" else mailed_code

    def asked(ip: int) -> str:
        answer = world.client.post(path, json={field: to}, **from_ip(ip))
        assert answer.status_code == 202, answer.get_json()
        flow: str = answer.get_json()["flow_id"]
        return flow

    mine = asked(1)
    my_code = sent(world, to)
    asked(2)  # a stranger's, from another client
    body = {"flow_id": mine, "code": my_code}
    signed_in = world.client.post(f"{path}/verify", json=body, **from_ip(1))
    assert signed_in.status_code == 200, signed_in.get_json()


def test_a_new_request_of_the_same_client_still_voids_its_code_before() -> None:
    world = phone_world()
    first = ask(world).get_json()["flow_id"]
    old = texted_code(world, NUMBER)
    world.clock.advance(seconds=30)
    assert ask(world).status_code == 202
    void = verify(world, first, old)
    assert void.status_code == 400 and void.get_json()["code"] == "invalid_phone_flow"


def ask_in(client: FlaskClient) -> str:
    """The code page's path, once ``client``'s page asked a code for NUMBER."""
    answer = client.post(
        ASK_PAGE, data={"phone_number": NUMBER, "csrf_token": csrf(client, ASK_PAGE)}
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)
    location: str = answer.headers["Location"]
    return location


def test_a_second_browser_asking_for_the_number_leaves_the_first_browsers_code_live() -> None:
    world = phone_world()
    first, second = world.app.test_client(), world.app.test_client()
    code_page = ask_in(first)
    code = texted_code(world, NUMBER)
    world.clock.advance(seconds=30)  # the same address: its own gap between two requests
    ask_in(second)
    sent = first.post(code_page, data={"code": code, "csrf_token": csrf(first, code_page)})
    assert sent.status_code == 303 and sent.headers["Location"] == "/account"


def test_strangers_wrong_codes_leave_the_holders_code_working() -> None:
    """The holder's code, then nineteen strangers' flows from four clients (the number's
    twenty an hour), each guessed wrong five times: the holder still signs in."""
    world = phone_world()
    holder(world, "ann", NUMBER)
    mine = ask(world, ip=1).get_json()["flow_id"]
    my_code = texted_code(world, NUMBER)
    for n in range(19):
        ip = 10 + n % 4
        if n % 4 == 0 and n:
            world.clock.advance(seconds=30)
        theirs = ask(world, ip=ip)
        assert theirs.status_code == 202, theirs.get_json()
        for _ in range(5):
            guessed = verify(world, theirs.get_json()["flow_id"], wrong(my_code), ip=ip)
            assert guessed.status_code in (400, 429)
    signed_in = verify(world, mine, my_code, ip=1)
    assert signed_in.status_code == 200, signed_in.get_json()


# -- phone sign-in asks for a challenge provider ------------------------------------------------

TURNSTILE = {"challenge_provider": "turnstile", "challenge_site_key": "k", "challenge_secret": "s"}


def test_phone_sign_in_without_a_challenge_provider_keeps_production_from_starting() -> None:
    with pytest.raises(ValueError, match="PHONE_SIGN_IN=true") as refused:  # the start's check
        check_units(make_settings(**PRODUCTION_SETTINGS, phone_sign_in=True))
    assert "PHONE_SIGN_IN=true needs a challenge provider" in str(refused.value)
    assert "PHONE_SIGN_IN_WITHOUT_CHALLENGE=true" in str(refused.value)
    with_one = make_settings(**PRODUCTION_SETTINGS, phone_sign_in=True, **TURNSTILE)
    check_units(with_one)
    assert with_one.group(PhoneSettings).goes_without_challenge("production") is False
    said = make_settings(
        **PRODUCTION_SETTINGS, phone_sign_in=True, phone_sign_in_without_challenge="true"
    )
    check_units(said)
    assert said.group(PhoneSettings).phone_sign_in
    assert said.group(AccountSettings).challenge_provider == "none"
    off = make_settings(**PRODUCTION_SETTINGS)
    check_units(off)  # off: nothing asked
    assert off.group(PhoneSettings).phone_sign_in is False


def test_the_local_profile_goes_without_one_unless_told_not_to() -> None:
    local = make_settings(phone_sign_in=True)
    check_units(local)
    assert local.group(PhoneSettings).goes_without_challenge("local") is True
    with pytest.raises(ValueError, match="needs a challenge provider"):
        check_units(make_settings(phone_sign_in=True, phone_sign_in_without_challenge="false"))


# -- a request limit of its own per client address ----------------------------------------------


def test_phone_codes_have_a_request_limit_of_their_own() -> None:
    """RATE_LIMIT_PHONE_CODE counts the API's and the page's requests together; the e-mail
    code's RATE_LIMIT_EMAIL_CODE is apart."""
    world = phone_world(rate_limit_phone_code="2/minute", rate_limit_email_code="1/minute")
    assert PhoneSettings.model_fields["rate_limit_phone_code"].default == "5/minute,50/hour"
    client = world.client  # one client address for all
    assert client.post("/auth/phone-code", json={"phone_number": NUMBER}).status_code == 202
    form = {"phone_number": "+33612345671", "csrf_token": csrf(client, ASK_PAGE)}
    assert client.post(ASK_PAGE, data=form).status_code == 303
    third = client.post("/auth/phone-code", json={"phone_number": "+33612345672"})
    assert third.status_code == 429 and third.get_json()["code"] == "rate_limited"
    assert client.post("/auth/email-code", json={"email": ADDRESS}).status_code == 202
