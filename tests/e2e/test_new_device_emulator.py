"""New-device mails on the Firestore emulator and maildev
(docs/decisions/0173-new-device-mail.md): 30 parallel logins of one new device give a
``signin.new_device`` event for each that succeeds and exactly one mail; a login with the
device token sends nothing."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bootstrap import build_adapters
from tests.support import mailbox
from tests.support.api import PASSWORD, bearer, login, register
from tests.support.app import app_on
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e
AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def test_thirty_parallel_logins_of_one_new_device_send_one_mail(firestore: Any) -> None:
    # The failed-login throttle counts each guess before it is checked and refuses a burst
    # past its budget, or one too contended to count (429): this test is about the mail,
    # so the budgets are wide, and a 429 (never anything else) is allowed for a few.
    settings = make_settings(
        login_failures_per_account_ip=1_000,
        login_failures_per_account=1_000,
        login_failures_per_ip=1_000,
    )
    real_app = app_on(settings, build_adapters(settings, firestore=firestore))
    client = real_app.test_client()
    register(client, "nico")
    [verify] = mailbox.wait_for("nico@example.com")
    proof = client.post("/auth/email/verify", json={"token": mailbox.token_in(verify)})
    assert proof.status_code == 200
    access = login(client, "nico")  # the first sign-in: no mail
    body = {"username": "nico", "password": PASSWORD}
    headers = {"User-Agent": AGENT}

    def log_in(_: int) -> dict[str, Any] | None:
        answer = real_app.test_client().post("/login", json=body, headers=headers)
        assert answer.status_code in (200, 429), answer.get_json()
        found: dict[str, Any] | None = answer.get_json() if answer.status_code == 200 else None
        return found

    with ThreadPoolExecutor(30) as pool:
        answers = [found for found in pool.map(log_in, range(30)) if found is not None]
    assert len(answers) >= 2, "a burst of one device's logins, to send one mail for"
    [mail] = mailbox.wait_for("nico@example.com", 2)[1:]
    assert mail["subject"] == "A new sign-in to your firegate account"
    assert (
        "Browser (as it identified itself): Firefox (Windows)" in mail["text"]
        and "/not-me?token=" in mail["text"]
    )
    # With its device token the same client is known: nothing more.
    known = {**headers, "Device-Token": answers[0]["device_token"]}
    assert real_app.test_client().post("/login", json=body, headers=known).status_code == 200
    time.sleep(2)  # time for any further mail to arrive, were it sent
    assert len(mailbox.to("nico@example.com")) == 2
    query = {"type": "signin.new_device", "limit": "100"}
    events = client.get("/auth/events", headers=bearer(access), query_string=query)
    items = events.get_json()["items"]
    assert len(items) == len(answers) and {e["user_agent"] for e in items} == {AGENT}
    me = client.get("/user", headers=bearer(access)).get_json()
    claims = list(firestore.collection("new_device_mails").stream())
    assert len(claims) == 1 and claims[0].to_dict()["user_id"] == me["id"]
