"""A texted code's sign-up passes the one door (``Signups``), as every way does
(tests/unit/accounts/test_one_door_for_every_account.py, which leaves this way's driver to
the phone unit; docs/decisions/0495-one-door-for-every-new-account.md)."""

from __future__ import annotations

import json

import pytest

from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from bootstrap.accounts import AccountsAdapters
from bootstrap.hooks import HooksAdapters
from tests.fakes.hooks import FakeHookClient
from tests.support.api import assert_problem
from tests.support.app import World
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit


def by_phone_code() -> bool:
    """A number has no domain for the lists to refuse: the mode does."""
    w = World(signup_mode="closed", phone_sign_in=True)
    w.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "send_sms", "http://127.0.0.1:9/sms"))
    asked = w.client.post("/auth/phone-code", json={"phone_number": "+33612345678"})
    assert asked.status_code == 202  # the same answer for every number
    w.deliver()
    client = w.adapters.of(HooksAdapters).hook_client
    assert isinstance(client, FakeHookClient)
    code = json.loads(client.asked[-1][1])["code"]
    body = {"flow_id": asked.get_json()["flow_id"], "code": code}
    answer = w.client.post("/auth/phone-code/verify", json=body)
    assert assert_problem(answer, 403, "signup_not_allowed")["reason"] == "closed"
    return w.adapters.of(AccountsAdapters).users.find_by_phone_number("+33612345678") is None


def test_a_texted_codes_sign_up_is_refused_by_the_mode_and_makes_no_account() -> None:
    assert by_phone_code()
