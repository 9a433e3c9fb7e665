"""The automatic passkey upgrade after a sign-in by texted code (docs/passkeys-upgraded.md):
the phone unit's way in opens the upgrade's window as a password does."""

from __future__ import annotations

import json

import pytest

from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from bootstrap.hooks import HooksAdapters
from tests.fakes.hooks import FakeHookClient
from tests.support.app import World
from tests.support.pages import csrf
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit

ORIGIN = "http://127.0.0.1:8000"  # the test settings' PUBLIC_URL, made a passkey origin
SCRIPT = f'<script src="/static/pages/passkey-upgrade.js" data-origins="{ORIGIN}" defer>'


def test_the_page_after_a_texted_code_sign_in_includes_the_script() -> None:
    world = World(webauthn_origins=[ORIGIN], webauthn_rp_id="127.0.0.1", phone_sign_in=True)
    hook = "http://127.0.0.1:9/sms"
    world.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "send_sms", hook))
    world.clock.advance(minutes=-5)  # the tokens' times stay behind the wall clock's
    client, path = world.client, "/sign-in/phone-code"
    form = {"phone_number": "+33612345678", "csrf_token": csrf(client, path)}
    code_page = client.post(path, data=form).headers["Location"]
    world.deliver()
    sender = world.adapters.of(HooksAdapters).hook_client
    assert isinstance(sender, FakeHookClient)
    code = [json.loads(body) for url, body, *_ in sender.asked if url == hook][-1]["code"]
    answer = client.post(code_page, data={"code": code, "csrf_token": csrf(client, code_page)})
    assert answer.status_code == 303 and answer.headers["Location"] == "/account"
    page = client.get("/account")
    assert page.status_code == 200 and SCRIPT in page.get_data(as_text=True)
