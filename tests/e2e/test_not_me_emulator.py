"""The "not me" link on the Firestore emulator and maildev (docs/pages.md, /not-me): a
password change mails a notice; of 30 parallel presses of its button exactly one wins, ends
every session and mails a reset."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support import mailbox
from tests.support.api import PASSWORD, bearer, login, register

pytestmark = pytest.mark.e2e
NEW_PASSWORD = "a brand new passphrase 42"


def _csrf(client: FlaskClient) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text)
    assert found is not None
    return found.group(1)


def test_thirty_parallel_presses_of_the_not_me_button_one_wins(real_app: Flask) -> None:
    client = real_app.test_client()
    register(client, "nina")
    [verify] = mailbox.wait_for("nina@example.com")
    assert (
        client.post("/auth/email/verify", json={"token": mailbox.token_in(verify)}).status_code
        == 200
    )
    access = login(client, "nina")
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert client.put("/user/password", headers=bearer(access), json=body).status_code == 204
    other = login(client, "nina", NEW_PASSWORD)
    mails = mailbox.wait_for("nina@example.com", 2)
    [notice] = [m for m in mails if "/not-me?token=" in m["text"]]
    assert notice["subject"] == "Your firegate password was changed"
    link = mailbox.link_in(notice)
    assert link.startswith("http://127.0.0.1:8000/not-me?token=") and link in notice["html"]
    token = mailbox.token_in(notice)
    presses = [real_app.test_client() for _ in range(30)]
    forms = [{"token": token, "csrf_token": _csrf(c)} for c in presses]
    assert client.get("/user", headers=bearer(other)).status_code == 200

    def press(i: int) -> int:
        return presses[i].post("/not-me", data=forms[i]).status_code

    with ThreadPoolExecutor(30) as pool:
        statuses = list(pool.map(press, range(30)))
    assert sorted(statuses) == [200] + [400] * 29, statuses
    assert client.get("/user", headers=bearer(other)).status_code == 401
    mails = mailbox.wait_for("nina@example.com", 3)
    assert len([m for m in mails if "/reset-password?token=" in m["text"]]) == 1
