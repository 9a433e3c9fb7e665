"""App links that sign in only the device that asked, on fakes (docs/reference/app-links.md):
a code flow asked with an app's ``code_challenge`` mails (or texts) a link to
``/app/sign-in``, which the app redeems with its verifier, once; a wrong, missing or another
flow's verifier, a flow without a challenge, a second redemption: 400 ``invalid_grant``, no
session, nothing spent. Opened in a browser, the link shows the code and signs nothing in."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from scripts.units_contract import unit_names

from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from application.ports import Audit
from bootstrap.hooks import HooksAdapters
from bootstrap.signin_adapters import SigninAdapters
from domain.native_apps.paths import APP_SIGN_IN_PATH
from domain.signin.codes.flows import (
    Channel,
    CodeFlow,
    challenge_of,
    secret_hash,
    verifier_shaped,
)
from infrastructure.firestore.signin.codes import flow_from_doc, flow_to_doc
from tests.fakes.hooks import FakeHookClient
from tests.support.api import bearer, register
from tests.support.app import World
from tests.support.email_codes import code_in
from tests.support.totp import register_with_totp
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
HOOK = "http://127.0.0.1:9/sms"
NUMBER = "+33612345678"


def verifier() -> str:
    return secrets.token_urlsafe(32)  # 43 characters of RFC 7636's alphabet


def ask(world: World, email: str, challenge: str | None, **more: str) -> Any:
    body = {"email": email, **more}
    if challenge is not None:
        body["code_challenge"] = challenge
    return world.client.post("/auth/email-code", json=body)


def linked(text: str, path: str = APP_SIGN_IN_PATH) -> tuple[str, str]:
    """The link to ``path`` in a message's text, and its token."""
    link = next(word for word in text.split() if f"{path}?" in word)
    return link, parse_qs(urlsplit(link).query)["token"][0]


def mailed(world: World, email: str) -> str:
    """The text of the last code mail to ``email``."""
    world.deliver()
    return str(world.mailer.to(email)[-1].text)


def redeem(world: World, token: str, code_verifier: str | None) -> Any:
    body = {"token": token}
    if code_verifier is not None:
        body["code_verifier"] = code_verifier
    return world.client.post("/auth/email-code/redeem", json=body)


def invalid_grant(answer: Any) -> bool:
    return bool(answer.status_code == 400 and answer.get_json()["code"] == "invalid_grant")


def sessions(world: World) -> int:
    return sum(1 for e in world.audit.events if e.event is Audit.LOGIN and e.outcome == "success")


# The unit off, in a process of its own (the pages' parts are the process's): nobody serves
# /app/sign-in then, so a flow asked with a challenge is mailed the browser's link, which
# shows the code, and nothing redeems it
UNIT_OFF = """
import json
from tests.support.app import World

world = World(units_off="native_apps")
body = {"email": "off@example.com", "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}
asked = world.client.post("/auth/email-code", json=body)
world.deliver()
redeemed = world.client.post("/auth/email-code/redeem", json={"token": "t", "code_verifier": "v"})
print(json.dumps({
    "asked": asked.status_code,
    "mail": world.mailer.to("off@example.com")[-1].text,
    "redeemed": redeemed.status_code,
}))
"""


def test_with_the_unit_off_an_apps_flow_is_mailed_the_browsers_link() -> None:
    ran = subprocess.run(
        [sys.executable, "-c", UNIT_OFF], cwd=ROOT, capture_output=True, text=True, check=True
    )
    seen = json.loads(ran.stdout.strip().splitlines()[-1])
    assert seen["asked"] == 202 and seen["redeemed"] == 404
    assert "/app/sign-in" not in seen["mail"] and "/sign-in/email?token=" in seen["mail"]


def test_the_challenge_is_rfc_7636s_s256() -> None:
    # RFC 7636, appendix B
    assert (
        challenge_of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    assert verifier_shaped("a" * 43) and verifier_shaped("a" * 128)
    assert not verifier_shaped("a" * 42) and not verifier_shaped("a" * 129)
    assert not verifier_shaped("a" * 42 + "+") and not verifier_shaped("")


def test_firestore_keeps_the_flows_challenge() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 11, 30, tzinfo=UTC)
    flow = CodeFlow.begin(
        id="f1",
        channel=Channel.EMAIL,
        to="a@example.com",
        now=now,
        browser_hash=None,
        locale=None,
        code_challenge=challenge_of("v" * 43),
    )
    assert flow_from_doc("f1", flow_to_doc(flow), Channel.EMAIL) == flow
    plain = CodeFlow.begin(
        id="f2", channel=Channel.EMAIL, to="a@example.com", now=now, browser_hash=None, locale=None
    )
    assert flow_from_doc("f2", flow_to_doc(plain), Channel.EMAIL).code_challenge is None


def test_an_apps_flow_mails_a_link_to_the_app_which_redeems_it_once() -> None:
    world = World()
    register(world.client, "alice")
    mine = verifier()
    asked = ask(world, "alice@example.com", challenge_of(mine))
    assert asked.status_code == 202, asked.get_json()
    text = mailed(world, "alice@example.com")
    assert "/sign-in/email?" not in text
    link, token = linked(text)
    assert link.startswith(f"{world.settings.service.public_url}/app/sign-in?token=")
    flow = world.adapters.of(SigninAdapters).email_codes.by_link(secret_hash(token))
    assert flow is not None and flow.id == asked.get_json()["flow_id"]
    assert flow.code_challenge == challenge_of(mine)
    redeemed = redeem(world, token, mine)
    assert redeemed.status_code == 200, redeemed.get_json()
    pair = redeemed.get_json()
    assert {"access_token", "refresh_token"} <= set(pair)
    who = world.client.get("/auth/whoami", headers=bearer(pair["access_token"]))
    assert who.get_json()["amr"] == ["email"]
    again = redeem(world, token, mine)
    assert invalid_grant(again), again.get_json()
    # The code of a spent flow is spent too.
    code = code_in(text)
    verified = world.client.post("/auth/email-code/verify", json={"flow_id": flow.id, "code": code})
    assert verified.status_code == 401 and verified.get_json()["code"] == "invalid_email_flow"


def test_a_wrong_missing_or_anothers_verifier_opens_nothing_and_spends_nothing() -> None:
    world = World()
    register(world.client, "bob")
    mine, theirs = verifier(), verifier()
    ask(world, "bob@example.com", challenge_of(mine))
    _, token = linked(mailed(world, "bob@example.com"))
    ask(world, "carol@example.com", challenge_of(theirs))
    _, other_token = linked(mailed(world, "carol@example.com"))
    before = sessions(world)
    # More wrong verifiers than a flow has guesses: none is a guess of the code.
    for attempt in [None, "", "short", theirs, *(verifier() for _ in range(6))]:
        answer = redeem(world, token, attempt)
        assert invalid_grant(answer), (attempt, answer.get_json())
        assert "access_token" not in answer.get_json()
    assert sessions(world) == before
    failed = [e for e in world.audit.events if e.event is Audit.LOGIN and e.outcome == "failure"]
    assert failed and {e.reason for e in failed} == {"invalid_grant"}
    # Nothing was spent: the right verifier still redeems it, and the other flow its own.
    assert redeem(world, token, mine).status_code == 200
    assert redeem(world, other_token, theirs).status_code == 200


def test_a_flow_asked_without_a_challenge_is_redeemed_by_no_app() -> None:
    world = World()
    register(world.client, "dave")
    flow_id = ask(world, "dave@example.com", None).get_json()["flow_id"]
    text = mailed(world, "dave@example.com")
    assert f"{APP_SIGN_IN_PATH}?" not in text
    _, token = linked(text, "/sign-in/email")
    for attempt in [verifier(), None]:
        assert invalid_grant(redeem(world, token, attempt))
    # Its code still works: nothing was spent.
    verified = world.client.post(
        "/auth/email-code/verify", json={"flow_id": flow_id, "code": code_in(text)}
    )
    assert verified.status_code == 200, verified.get_json()


def test_unknown_links_are_invalid_grant() -> None:
    world = World()
    for token in ["nope", secrets.token_urlsafe(32), "é" * 10]:
        assert invalid_grant(redeem(world, token, verifier()))


def test_a_malformed_challenge_or_method_is_a_field_error() -> None:
    world = World()
    good = challenge_of(verifier())
    cases: list[tuple[dict[str, str | None], str]] = [
        ({"code_challenge": good[:-1]}, "code_challenge"),
        ({"code_challenge": good + "A"}, "code_challenge"),
        ({"code_challenge": good[:-1] + "="}, "code_challenge"),
        ({"code_challenge": good[:-1] + "+"}, "code_challenge"),
        ({"code_challenge": None}, "code_challenge"),
        ({"code_challenge": good, "code_challenge_method": "plain"}, "code_challenge_method"),
        ({"code_challenge": good, "code_challenge_method": None}, "code_challenge_method"),
        ({"code_challenge_method": "S256"}, "code_challenge_method"),
    ]
    for more, field in cases:
        answer = world.client.post("/auth/email-code", json={"email": "e@example.com", **more})
        assert answer.status_code == 422, (more, answer.get_json())
        assert [e["field"] for e in answer.get_json()["errors"]] == [field], answer.get_json()
    alone = world.client.post(
        "/auth/email-code", json={"email": "e@example.com", "code_challenge_method": "S256"}
    )
    assert [e["code"] for e in alone.get_json()["errors"]] == ["code_challenge_required"]
    ok = ask(world, "e@example.com", good, code_challenge_method="S256")
    assert ok.status_code == 202, ok.get_json()


def test_redeeming_signs_up_an_address_without_an_account() -> None:
    world = World()
    world.clock.advance(minutes=-5)  # the tokens' times stay behind the wall clock's
    mine = verifier()
    ask(world, "erin@example.com", challenge_of(mine))
    _, token = linked(mailed(world, "erin@example.com"))
    answer = redeem(world, token, mine)
    assert answer.status_code == 200, answer.get_json()
    me = world.client.get("/user", headers=bearer(answer.get_json()["access_token"]))
    assert me.get_json()["email"] == "erin@example.com"
    assert me.get_json()["email_verified"] is True


def test_redeeming_for_an_account_with_a_second_factor_asks_for_it() -> None:
    world = World()
    register_with_totp(world.client, "frank")
    world.deliver()  # its address proven (a first proof would take the factor away)
    proof = world.token("frank@example.com", "/verify-email")
    assert world.client.post("/auth/email/verify", json={"token": proof}).status_code == 200
    mine = verifier()
    ask(world, "frank@example.com", challenge_of(mine))
    _, token = linked(mailed(world, "frank@example.com"))
    answer = redeem(world, token, mine)
    assert answer.status_code == 401 and answer.get_json()["code"] == "mfa_required"
    assert "mfa_token" in answer.get_json()


def test_a_browser_opening_the_link_sees_the_code_and_nothing_is_spent() -> None:
    world = World()
    register(world.client, "gina")
    mine = verifier()
    ask(world, "gina@example.com", challenge_of(mine))
    text = mailed(world, "gina@example.com")
    _, token = linked(text)
    before = sessions(world)
    for language, words in [("en", "Type this code where you asked"), ("es", "Escribe")]:
        page = world.client.get(
            f"{APP_SIGN_IN_PATH}?token={token}", headers={"Accept-Language": language}
        )
        html = page.get_data(as_text=True)
        assert page.status_code == 200, html
        assert code_in(text) in html and words in html, html
        assert "<form" not in html.split("<main", 1)[-1].split("</main>", 1)[0]
        cookies = [v for h, v in page.headers if h.lower() == "set-cookie"]
        assert not [c for c in cookies if "session" in c.lower()], cookies
    assert sessions(world) == before
    assert redeem(world, token, mine).status_code == 200  # nothing was spent
    spent = world.client.get(f"{APP_SIGN_IN_PATH}?token={token}")
    assert spent.status_code == 400
    assert mine not in spent.get_data(as_text=True)


# A text's link, while the phone unit is in this tree (scripts/remove_unit.py takes it out on
# a copy: its channel is then none of the links)
PHONE = "phone" in unit_names()
if PHONE:

    def phone_world() -> World:
        world = World(phone_sign_in=True)
        world.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "send_sms", HOOK))
        return world

    def texts(world: World) -> list[dict[str, Any]]:
        world.deliver()
        client = world.adapters.of(HooksAdapters).hook_client
        assert isinstance(client, FakeHookClient)
        return [json.loads(body) for url, body, *_ in client.asked if url == HOOK]

    def test_an_apps_phone_flow_texts_the_link_and_the_one_route_redeems_it() -> None:
        world = phone_world()
        mine = verifier()
        asked = world.client.post(
            "/auth/phone-code",
            json={"phone_number": NUMBER, "code_challenge": challenge_of(mine)},
        )
        assert asked.status_code == 202, asked.get_json()
        [sent] = texts(world)
        link, token = linked(sent["text"])
        assert link.startswith(f"{world.settings.service.public_url}/app/sign-in?token=")
        host = urlsplit(world.settings.service.public_url).hostname
        assert sent["text"].splitlines()[-1] == f"@{host} #{sent['code']}"  # WebOTP's line last
        page = world.client.get(f"{APP_SIGN_IN_PATH}?token={token}")
        assert sent["code"] in page.get_data(as_text=True)
        assert invalid_grant(redeem(world, token, verifier()))
        answer = redeem(world, token, mine)
        assert answer.status_code == 200, answer.get_json()
        who = world.client.get("/auth/whoami", headers=bearer(answer.get_json()["access_token"]))
        assert who.get_json()["amr"] == ["sms"]
        assert invalid_grant(redeem(world, token, mine))

    def test_a_phone_flow_without_a_challenge_texts_no_link() -> None:
        world = phone_world()
        world.client.post("/auth/phone-code", json={"phone_number": NUMBER})
        [sent] = texts(world)
        assert "http" not in sent["text"]
        bad = world.client.post(
            "/auth/phone-code", json={"phone_number": NUMBER, "code_challenge": "x" * 42}
        )
        assert bad.status_code == 422
        assert [e["field"] for e in bad.get_json()["errors"]] == ["code_challenge"]
