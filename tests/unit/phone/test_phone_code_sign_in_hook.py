"""The before_sign_in hook at the end of a sign-in by a texted code (docs/hooks.md,
"before_sign_in"): the code flow's way in, walked by tests/unit/hooks/test_before_sign_in.py
with a mailed code, and here with the phone unit's."""

from __future__ import annotations

import json

import pytest

from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from tests.support.app import World
from tests.support.sign_in_hooks import DENY, RECEIVER, denied, hook, payloads, receiver
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit


def test_way_phone_code() -> None:
    w = World(app_profile="local", phone_sign_in=True)
    w.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "send_sms", RECEIVER))
    asked = w.client.post("/auth/phone-code", json={"phone_number": "+33612345678"})
    w.deliver()
    code = json.loads(receiver(w).asked[-1][1])["code"]
    hook(w, DENY)
    body = {"flow_id": asked.get_json()["flow_id"], "code": code}
    denied(w.client.post("/auth/phone-code/verify", json=body))
    assert [(p["method"], p["amr"]) for p in payloads(w)] == [("phone_code", ["sms"])]
