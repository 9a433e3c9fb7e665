"""A texted code asked with an app's ``code_challenge`` (docs/reference/app-links.md): where a
unit serves the page an app's link opens (``APP_LINK_PAGES``), the text carries a link to it
after its sentence, and still ends with the WebOTP line; without a challenge, or without such
a page, it carries no link."""

from __future__ import annotations

import json
from typing import Any

import pytest

from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from application.signin.codes.ways import APP_LINK_PAGES
from bootstrap.hooks import HooksAdapters
from bootstrap.units import units_on
from domain.signin.codes.flows import challenge_of
from domain.slots import filled
from tests.fakes.hooks import FakeHookClient
from tests.support.app import World
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit
HOOK = "http://127.0.0.1:9/sms"
CHALLENGE = challenge_of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")


def texted(body: dict[str, str]) -> tuple[World, dict[str, Any]]:
    world = World(phone_sign_in=True)
    world.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "send_sms", HOOK))
    assert world.client.post("/auth/phone-code", json=body).status_code == 202
    world.deliver()
    client = world.adapters.of(HooksAdapters).hook_client
    assert isinstance(client, FakeHookClient)
    [sent] = [json.loads(b) for url, b, *_ in client.asked if url == HOOK]
    return world, sent


def test_an_apps_text_carries_its_link_before_the_webotp_line() -> None:
    world, sent = texted({"phone_number": "+33612345678", "code_challenge": CHALLENGE})
    lines = sent["text"].splitlines()
    assert lines[0].startswith(f"{sent['code']} is your firegate sign-in code.")
    assert lines[-1].endswith(f" #{sent['code']}") and lines[-1].startswith("@")
    pages = filled(units_on(world.settings), APP_LINK_PAGES)
    links = [line for line in lines if "?token=" in line]
    if not pages:
        assert links == []
        return
    base = world.settings.service.public_url
    assert links == [f"{base}{pages[-1]}?token={links[0].split('?token=', 1)[1]}"]
    assert lines.index(links[0]) < len(lines) - 1


def test_a_text_without_a_challenge_carries_no_link() -> None:
    _, sent = texted({"phone_number": "+33612345678"})
    assert "/app/sign-in" not in sent["text"] and "http" not in sent["text"]
