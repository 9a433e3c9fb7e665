"""The guide "Sign in with a phone number" (docs/sign-in-with-a-phone-number.md) says what
firegate does: its example answer of `POST /auth/phone-code/verify` has the fields the API
answers (the `amr` is the access token's, not the answer's), and its example text ends with
the WebOTP line the send_sms hook is given, `@` and PUBLIC_URL's host without its port."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from bootstrap.hooks import HooksAdapters
from tests.fakes.hooks import FakeHookClient
from tests.support.api import bearer
from tests.support.app import World
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
GUIDE = (ROOT / "docs" / "sign-in-with-a-phone-number.md").read_text(encoding="utf-8")
HOOK = "http://127.0.0.1:9/sms"
NUMBER = "+33612345678"
# The block of the verification's answer, after the line that names it
ANSWER = re.compile(r"answers `200` with the token pair:\n\n```json\n(.*?)\n```", re.S)
TEXT = re.compile(r"```text\n(.*?)\n```", re.S)


def texted(world: World) -> dict[str, Any]:
    world.deliver()
    client = world.adapters.of(HooksAdapters).hook_client
    assert isinstance(client, FakeHookClient)
    [payload] = [json.loads(body) for url, body, *_ in client.asked if url == HOOK]
    sent: dict[str, Any] = payload
    return sent


def signed_in_by_text(public_url: str) -> tuple[World, dict[str, Any], dict[str, Any]]:
    """The text sent to NUMBER, and the verification's answer with its code."""
    world = World(phone_sign_in=True, public_url=public_url)
    world.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "send_sms", HOOK))
    world.clock.advance(minutes=-5)  # the tokens' times stay behind the wall clock's
    asked = world.client.post("/auth/phone-code", json={"phone_number": NUMBER})
    text = texted(world)
    body = {"flow_id": asked.get_json()["flow_id"], "code": text["code"]}
    answer = world.client.post("/auth/phone-code/verify", json=body)
    assert answer.status_code == 200, answer.get_json()
    pair: dict[str, Any] = answer.get_json()
    return world, text, pair


def test_the_guides_answer_has_the_fields_the_api_answers() -> None:
    world, _, pair = signed_in_by_text("https://id.example.com")
    [shown] = ANSWER.findall(GUIDE)
    assert set(json.loads(shown)) == set(pair)
    assert "amr" not in pair  # the access token carries it
    who = world.client.get("/auth/whoami", headers=bearer(pair["access_token"])).get_json()
    assert who["amr"] == ["sms"]


def test_the_guides_text_ends_with_the_line_the_hook_is_given() -> None:
    _, text, _ = signed_in_by_text("https://id.example.com:8443")
    [shown] = TEXT.findall(GUIDE)
    code = text["code"]
    assert text["text"].splitlines()[-1] == f"@id.example.com #{code}"
    assert shown.splitlines()[-1] == "@id.example.com #042917"
    assert "`@{host} #{code}`, `host` being `PUBLIC_URL`'s host without its port" in GUIDE
