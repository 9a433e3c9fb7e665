"""Sign-in by a code, by mail or by text message, on fakes: one flow for both channels
(docs/decisions/0532-one-code-flow-for-every-channel.md). Where a rule is the same it is
tested over both channels; the phone channel's own rules after (its 404 when off, its 400s,
the number's parse, the SMS budget, the send_sms hook's payload and failures)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest

from application.hooks.admin import SetAuthHook
from application.hooks.admin import TestAuthHook as AskSamples
from application.hooks.services import HookServices
from application.jobs import RetryJob
from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from application.ports import Audit
from bootstrap.accounts import AccountsAdapters
from bootstrap.hooks import HooksAdapters
from bootstrap.signin_adapters import SigninAdapters
from domain.accounts.identities import PhoneNumber
from domain.signin.codes.flows import Channel
from tests.fakes.accounts import FakeChallengeVerifier
from tests.fakes.hooks import FakeHookClient
from tests.support.api import bearer, register
from tests.support.app import World
from tests.support.email_codes import code_in
from tests.support.sso_world import OidcSso, oidc_sso
from tests.support.totp import register_with_totp
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit

HOOK = "http://127.0.0.1:9/sms"
NUMBER, OTHER = "+33612345678", "+34612345678"


def phone_world(**settings: object) -> World:
    """A world with phone sign-in on: PHONE_SIGN_IN and a send_sms hook."""
    world = World(phone_sign_in=True, **settings)
    world.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "send_sms", HOOK))
    return world


def hook_client(world: World) -> FakeHookClient:
    client = world.adapters.of(HooksAdapters).hook_client
    assert isinstance(client, FakeHookClient)
    return client


def texts(world: World, to: str) -> list[dict[str, Any]]:
    """The send_sms hook's payloads to ``to``, in order."""
    world.deliver()
    payloads = [json.loads(body) for url, body, *_ in hook_client(world).asked if url == HOOK]
    return [p for p in payloads if p["to"] == to]


@dataclass(frozen=True)
class Way:
    """One channel as a client sees it: where it asks and verifies, what it asks with, how
    the code reaches the test, what its errors are called."""

    channel: Channel
    path: str
    field: str
    world: Callable[..., World]
    code_sent: Callable[[World, str], str]
    invalid: int  # the status of a wrong code and of a flow that takes none
    amr: str
    method: str

    def ask(self, world: World, to: str) -> Any:
        return world.client.post(self.path, json={self.field: to})

    def verify(self, world: World, flow_id: str, code: str) -> Any:
        return world.client.post(f"{self.path}/verify", json={"flow_id": flow_id, "code": code})

    def error(self, what: str) -> str:
        return f"invalid_{self.channel.value}_{what}"


def mailed_code(world: World, to: str) -> str:
    world.deliver()
    return code_in([m for m in world.mailer.to(to) if "/sign-in/email?" in m.text][-1].text)


def texted_code(world: World, to: str) -> str:
    code: str = texts(world, to)[-1]["code"]
    return code


EMAIL = Way(
    Channel.EMAIL, "/auth/email-code", "email", World, mailed_code, 401, "email", "email_code"
)
PHONE = Way(
    Channel.PHONE,
    "/auth/phone-code",
    "phone_number",
    phone_world,
    texted_code,
    400,
    "sms",
    "phone_code",
)
IDENTIFIERS = {
    Channel.EMAIL: ("ann@example.com", "bob@example.com"),
    Channel.PHONE: (NUMBER, OTHER),
}
BOTH = pytest.mark.parametrize("way", [EMAIL, PHONE], ids=["email", "phone"])


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def holder(world: World, way: Way, username: str, to: str) -> dict[str, Any]:
    """A registered account that holds ``to`` (its address proven; or its number)."""
    made = register(world.client, username, **({"email": to} if way is EMAIL else {}))
    users, now = world.adapters.of(AccountsAdapters).users, world.clock.now()
    if way is EMAIL:
        users.update(made["id"], lambda u: u.with_email_verified(now))
    else:
        users.update(made["id"], lambda u: u.with_part(PhoneNumber.proven_as(to), now))
    return made


# -- the rules both channels share --------------------------------------------------------------


@BOTH
def test_the_same_answer_for_any_identifier_then_one_sign_in_per_code(way: Way) -> None:
    world = way.world()
    to, stranger = IDENTIFIERS[way.channel]
    made = holder(world, way, "ann", to)
    known, unknown = way.ask(world, to), way.ask(world, stranger)
    assert known.status_code == unknown.status_code == 202
    assert set(known.get_json()) == set(unknown.get_json()) == {"flow_id", "expires_in"}
    assert known.get_json()["expires_in"] == 600
    flow, code = known.get_json()["flow_id"], way.code_sent(world, to)
    signed_in = way.verify(world, flow, code)
    assert signed_in.status_code == 200, signed_in.get_json()
    headers = bearer(signed_in.get_json()["access_token"])
    assert world.client.get("/auth/whoami", headers=headers).get_json()["amr"] == [way.amr]
    assert world.client.get("/user", headers=headers).get_json()["id"] == made["id"]
    again = way.verify(world, flow, code)
    assert again.status_code == way.invalid and again.get_json()["code"] == way.error("flow")
    [event] = [e for e in world.audit.events if e.event is Audit.LOGIN and e.outcome == "success"]
    assert event.method == way.method


@BOTH
def test_a_new_request_voids_the_code_before(way: Way) -> None:
    world, (to, _) = way.world(), IDENTIFIERS[way.channel]
    first = way.ask(world, to).get_json()["flow_id"]
    old = way.code_sent(world, to)
    world.clock.advance(seconds=30)
    second = way.ask(world, to).get_json()["flow_id"]
    new = way.code_sent(world, to)
    void = way.verify(world, first, old)
    assert void.status_code == way.invalid and void.get_json()["code"] == way.error("flow")
    assert way.verify(world, second, new).status_code == 200


@BOTH
def test_five_wrong_codes_end_the_flow_and_count_in_the_throttle(way: Way) -> None:
    world, (to, _) = way.world(), IDENTIFIERS[way.channel]
    made = holder(world, way, "erin", to)
    flow = way.ask(world, to).get_json()["flow_id"]
    code = way.code_sent(world, to)
    for _ in range(5):
        answer = way.verify(world, flow, wrong(code))
        assert answer.status_code == way.invalid and answer.get_json()["code"] == way.error("code")
    void = way.verify(world, flow, code)
    assert void.status_code == way.invalid and void.get_json()["code"] == way.error("flow")
    key = to if way is PHONE else to.lower()
    records = world.adapters.of(SigninAdapters).throttle.load([f"account:{key}", "ip:127.0.0.1"])
    assert records[f"account:{key}"].failures == 5 and records["ip:127.0.0.1"].failures == 5
    failures = [e for e in world.audit.events if e.event is Audit.LOGIN and e.outcome == "failure"]
    assert {(e.reason, e.method, e.user_id) for e in failures} == {
        ("wrong_code", way.method, made["id"])
    }


@BOTH
def test_a_code_lasts_ten_minutes(way: Way) -> None:
    world, (to, _) = way.world(), IDENTIFIERS[way.channel]
    flow = way.ask(world, to).get_json()["flow_id"]
    code = way.code_sent(world, to)
    world.clock.advance(minutes=10)
    late = way.verify(world, flow, code)
    assert late.status_code == way.invalid and late.get_json()["code"] == way.error("flow")


@BOTH
def test_requests_per_identifier_are_limited_whatever_the_rate_limit_setting(way: Way) -> None:
    world, (to, other) = way.world(rate_limit_enabled=False), IDENTIFIERS[way.channel]
    assert way.ask(world, to).status_code == 202
    soon = way.ask(world, to)
    assert soon.status_code == 429 and soon.get_json()["code"] == way.channel.rate_limited
    assert soon.headers["Retry-After"] == "30"
    for _ in range(4):
        world.clock.advance(seconds=30)
        assert way.ask(world, to).status_code == 202
    world.clock.advance(seconds=30)
    sixth = way.ask(world, to)
    assert sixth.status_code == 429 and sixth.headers["Retry-After"] == str(3600 - 150)
    assert way.ask(world, other).status_code == 202


@BOTH
def test_a_second_factor_answers_mfa_required(way: Way) -> None:
    world, (to, _) = way.world(), IDENTIFIERS[way.channel]
    _, recovery = register_with_totp(world.client, "hana")
    [hana] = [u for u in world.store.users.values() if u.shown_name == "hana"]
    users, now = world.adapters.of(AccountsAdapters).users, world.clock.now()
    if way is EMAIL:
        users.update(hana.id, lambda u: replace(u, email=None))
        users.update(hana.id, lambda u: u.edited({"email": to}, now).with_email_verified(now))
    else:
        users.update(hana.id, lambda u: u.with_part(PhoneNumber.proven_as(to), now))
    flow = way.ask(world, to).get_json()["flow_id"]
    answer = way.verify(world, flow, way.code_sent(world, to))
    problem = answer.get_json()
    assert answer.status_code == 401 and problem["code"] == "mfa_required", problem
    body = {"mfa_token": problem["mfa_token"], "recovery_code": recovery[0]}
    finished = world.client.post("/login/mfa", json=body)
    who = world.client.get("/auth/whoami", headers=bearer(finished.get_json()["access_token"]))
    assert who.get_json()["amr"] == [way.amr, "otp"]


@BOTH
def test_sign_up_by_code_follows_the_sign_up_rules(way: Way) -> None:
    world, (to, _) = way.world(signup_mode="closed"), IDENTIFIERS[way.channel]
    flow = way.ask(world, to).get_json()["flow_id"]
    answer = way.verify(world, flow, way.code_sent(world, to))
    assert answer.status_code == 403 and answer.get_json()["code"] == "signup_not_allowed"
    assert answer.get_json()["reason"] == "closed"
    refused = [e for e in world.audit.events if e.event is Audit.SIGNUP_REFUSED]
    assert [e.via for e in refused] == [way.method]


# -- the phone channel's own -------------------------------------------------------------------


def test_a_number_without_account_signs_up_without_address_or_password() -> None:
    world = phone_world()
    world.clock.advance(minutes=-5)  # the tokens' times stay behind the wall clock's
    flow = PHONE.ask(world, "+33 6 12 34 56 78").get_json()["flow_id"]
    answer = PHONE.verify(world, flow, texted_code(world, NUMBER))
    assert answer.status_code == 200, answer.get_json()
    me = world.client.get("/user", headers=bearer(answer.get_json()["access_token"])).get_json()
    assert me["email"] is None and me["username"].startswith("user_")
    [account] = [u for u in world.store.users.values() if u.id == me["id"]]
    assert account.part(PhoneNumber).number == NUMBER and account.password_hash is None
    world.clock.advance(seconds=31)
    again = PHONE.ask(world, NUMBER).get_json()["flow_id"]
    second = PHONE.verify(world, again, texted_code(world, NUMBER))
    me2 = world.client.get("/user", headers=bearer(second.get_json()["access_token"]))
    assert me2.get_json()["id"] == me["id"]
    # No password is ever tried against a number: it is no login.
    login = world.client.post(
        "/login", json={"username": NUMBER.replace("1", "2"), "password": "x" * 12}
    )
    assert login.status_code == 401


def test_the_hook_gets_the_code_in_the_persons_language_with_the_webotp_line() -> None:
    world = phone_world()
    world.client.post("/auth/phone-code", json={"phone_number": NUMBER})
    world.client.post(
        "/auth/phone-code", json={"phone_number": OTHER}, headers={"Accept-Language": "es"}
    )
    [english], [spanish] = texts(world, NUMBER), texts(world, OTHER)
    assert set(english) == {"to", "kind", "locale", "code", "text", "brand"}
    assert english["brand"] is None  # no text is about an org
    assert english["kind"] == "phone_code" and english["locale"] == "en"
    assert english["code"].isdigit() and len(english["code"]) == 6
    host = "127.0.0.1"  # PUBLIC_URL's, without its port
    assert english["text"].endswith(f"\n@{host} #{english['code']}")
    assert english["text"].startswith(f"{english['code']} is your firegate sign-in code.")
    assert spanish["locale"] == "es" and "es tu código" in spanish["text"]
    assert spanish["text"].endswith(f"@{host} #{spanish['code']}")
    sent = [e for e in world.audit.events if e.event is Audit.TEXT]
    assert [(e.outcome, e.reason) for e in sent] == [("success", "phone_code")] * 2


@pytest.mark.parametrize(
    ("public_url", "host"),
    [
        ("https://id.example.com:8443", "id.example.com"),
        ("https://ID.Example.com", "id.example.com"),
        ("http://localhost:8000/", "localhost"),
    ],
)
def test_the_webotp_line_names_the_public_urls_host_without_its_port(
    public_url: str, host: str
) -> None:
    """The origin-bound code's line is ``@`` and a domain, no port: a reader of the format
    (Chromium's WebOTP, Apple's autofill) finds no code in ``@host:port #code``."""
    world = phone_world(public_url=public_url)
    assert PHONE.ask(world, NUMBER).status_code == 202
    [text] = texts(world, NUMBER)
    assert text["text"].splitlines()[-1] == f"@{host} #{text['code']}"


def test_a_failing_hook_is_retried_then_recorded_never_a_500() -> None:
    world = phone_world()
    client = hook_client(world)
    client.status = 500
    asked = PHONE.ask(world, NUMBER)
    assert asked.status_code == 202
    with pytest.raises(RetryJob):  # the push is answered with an error: it comes again
        world.deliver()
    assert not [e for e in world.audit.events if e.event is Audit.TEXT]
    world.client.post("/auth/phone-code", json={"phone_number": OTHER})
    world.deliver(final=True)
    [failed] = [e for e in world.audit.events if e.event is Audit.TEXT]
    assert (failed.outcome, failed.reason) == ("failure", "delivery_failed")


@pytest.mark.parametrize(
    ("settings", "hooked"),
    [({"phone_sign_in": False}, True), ({"phone_sign_in": True}, False), ({}, False)],
    ids=["setting_off", "no_hook", "default"],
)
def test_off_unless_the_setting_and_a_hook_answers_404(
    settings: dict[str, object], hooked: bool
) -> None:
    world = World(**settings)
    if hooked:
        world.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "send_sms", HOOK))
    asked = PHONE.ask(world, NUMBER)
    assert asked.status_code == 404 and asked.get_json()["code"] == "phone_disabled"
    verified = PHONE.verify(world, "f" * 32, "123456")
    assert verified.status_code == 404 and verified.get_json()["code"] == "phone_disabled"


@pytest.mark.parametrize("typed", ["0612345678", "+33 6", "+0123456789", "phone"])
def test_a_number_that_cannot_be_is_422(typed: str) -> None:
    answer = PHONE.ask(phone_world(), typed)
    assert answer.status_code == 422 and answer.get_json()["code"] == "invalid_phone_number"


@pytest.mark.parametrize("flow_id", ["../x", "é" * 4, "f" * 32], ids=["path", "utf8", "unknown"])
def test_an_unknown_flow_is_400(flow_id: str) -> None:
    answer = PHONE.verify(phone_world(), flow_id, "123456")
    assert answer.status_code == 400 and answer.get_json()["code"] == "invalid_phone_flow"


def test_over_the_sms_budget_429_and_nothing_sent() -> None:
    world = phone_world(sms_budgets="+33:1/h,*:200/h")
    world.clock.in_one_hour(timedelta(minutes=1))  # both texts in one hour's budget
    assert PHONE.ask(world, NUMBER).status_code == 202
    assert len(texts(world, NUMBER)) == 1
    world.clock.advance(seconds=30)  # past the number's own limit: the budget refuses
    over = PHONE.ask(world, NUMBER)
    assert over.status_code == 429 and over.get_json()["code"] == "sms_budget"
    assert 0 < int(over.headers["Retry-After"]) <= 3600
    assert len(texts(world, NUMBER)) == 1  # the first request's only
    assert not world.queue.jobs
    assert PHONE.ask(world, OTHER).status_code == 202  # another prefix's budget


def test_sms_enabled_false_stops_every_text() -> None:
    world = phone_world(sms_enabled=False)
    refused = PHONE.ask(world, NUMBER)
    assert refused.status_code == 429 and refused.get_json()["code"] == "sms_budget"
    assert texts(world, NUMBER) == []


def test_an_org_that_requires_its_single_sign_on_answers_403_sso_required() -> None:
    with oidc_sso(phone_sign_in=True) as sso:
        sso_required(sso)


def sso_required(sso: OidcSso) -> None:
    world = sso.world
    world.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "send_sms", HOOK))
    made = register(world.client, "mel", email="mel@corp.example")
    world.adapters.of(AccountsAdapters).users.update(
        made["id"], lambda u: u.with_part(PhoneNumber.proven_as(NUMBER), world.clock.now())
    )
    world.services.of(OrgServices).members.add_member(AddMember(sso.org_id, "mel", ("member",)))
    on = world.client.patch("/orgs/corp", json={"require_sso": True}, headers=sso.owner)
    assert on.status_code == 200, on.get_json()
    flow = PHONE.ask(world, NUMBER).get_json()["flow_id"]
    answer = PHONE.verify(world, flow, texted_code(world, NUMBER))
    assert answer.status_code == 403 and answer.get_json()["code"] == "sso_required"


def test_hooks_test_sends_a_sample_of_send_sms() -> None:
    world = World()
    client = hook_client(world)
    tested = world.services.of(HookServices).hooks.test(AskSamples(ADMIN, "send_sms", HOOK))
    assert tested.passed
    [(_, body, *_)] = client.asked
    sample = json.loads(body)
    assert sample["kind"] == "phone_code" and sample["text"].endswith(f"#{sample['code']}")


# -- the challenge: a number prefix's signal, and one client's codes of both kinds -----------

PASSES = "a token the provider passes"
TURNSTILE = {"challenge_provider": "turnstile", "challenge_site_key": "k", "challenge_secret": "s"}


def challenged_world(**settings: object) -> World:
    """Phone sign-in with a challenge provider whose fake passes ``PASSES``."""
    world = phone_world(**TURNSTILE, **settings)
    verifier = world.adapters.of(AccountsAdapters).challenge
    assert isinstance(verifier, FakeChallengeVerifier)
    verifier.valid.add(PASSES)
    return world


def ask_number(world: World, to: str, **extra: str) -> Any:
    return world.client.post("/auth/phone-code", json={"phone_number": to, **extra})


def challenged(world: World) -> list[str | None]:
    return [e.reason for e in world.audit.events if e.event is Audit.SIGNIN_CHALLENGED]


def test_a_prefix_at_half_its_sms_budget_asks_a_challenge_until_one_passes() -> None:
    world = challenged_world(sms_budgets="+336:4/h,*:200/h")
    for n in range(2):  # other numbers of one prefix: 2 of its 4 an hour, none asked
        assert ask_number(world, f"+3361234567{n}").status_code == 202
    asked = ask_number(world, "+33612345672")
    assert asked.status_code == 401 and asked.get_json()["code"] == "challenge_required"
    assert (asked.get_json()["provider"], asked.get_json()["site_key"]) == ("turnstile", "k")
    assert challenged(world) == ["prefix_texts"]
    assert ask_number(world, OTHER).status_code == 202  # another prefix is not asked
    passed = ask_number(world, "+33612345672", challenge_token=PASSES)
    assert passed.status_code == 202
    replayed = ask_number(world, "+33612345673", challenge_token=PASSES)
    assert replayed.status_code == 401 and replayed.get_json()["code"] == "challenge_required"
    world.deliver()
    sent = [p["to"] for url, body, *_ in hook_client(world).asked for p in [json.loads(body)]]
    assert sorted(sent) == sorted(["+33612345670", "+33612345671", OTHER, "+33612345672"])


def test_without_a_challenge_provider_the_prefixs_budget_alone_holds() -> None:
    world = phone_world(sms_budgets="+336:2/h,*:200/h")
    for n in range(2):
        assert ask_number(world, f"+3361234567{n}").status_code == 202
    over = ask_number(world, "+33612345672")
    assert over.status_code == 429 and over.get_json()["code"] == "sms_budget"
    assert challenged(world) == []


def test_codes_by_mail_and_by_text_from_one_client_count_in_one_signal() -> None:
    world = challenged_world(challenge_email_codes_per_hour=2)
    mailed = world.client.post("/auth/email-code", json={"email": "ann@example.com"})
    assert mailed.status_code == 202
    assert ask_number(world, NUMBER).status_code == 202  # the second code of this client
    for asked in (
        world.client.post("/auth/email-code", json={"email": "bob@example.com"}),
        ask_number(world, OTHER),
    ):
        assert asked.status_code == 401 and asked.get_json()["code"] == "challenge_required"
    assert challenged(world) == ["email_codes", "email_codes"]
    assert ask_number(world, OTHER, challenge_token=PASSES).status_code == 202
