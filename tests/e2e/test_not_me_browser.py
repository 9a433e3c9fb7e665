"""The "not me" link in a real browser (docs/pages.md, /not-me): a password changed through
the API mails a notice; its link, opened in Chromium with JavaScript off, shows one button
that ends the other sessions and mails a reset; axe-core finds no serious or critical
violation on the page."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests
from playwright.sync_api import Page

from tests.support import mailbox
from tests.support.api import PASSWORD
from tests.support.browser import NEW_PASSWORD, chromium, on_this_server, violations

pytestmark = pytest.mark.e2e


def _api(base: str, method: str, path: str, token: str = "", **body: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, base + path, json=body, headers=headers, timeout=60)


def test_the_not_me_link_signs_out_everywhere_and_mails_a_reset(
    gunicorn_url: str, firestore: Any
) -> None:
    name = "n" + uuid.uuid4().hex[:10]
    address = f"{name}@example.com"
    made = _api(gunicorn_url, "POST", "/register", username=name, email=address, password=PASSWORD)
    assert made.status_code == 201, made.text
    [verify] = mailbox.wait_for(address)
    proof = requests.post(
        gunicorn_url + "/auth/email/verify", json={"token": mailbox.token_in(verify)}, timeout=60
    )
    assert proof.status_code == 200, proof.text
    signed_in = _api(gunicorn_url, "POST", "/login", username=name, password=PASSWORD).json()
    access = signed_in["access_token"]
    changed = _api(
        gunicorn_url,
        "PUT",
        "/user/password",
        access,
        current_password=PASSWORD,
        new_password=NEW_PASSWORD,
    )
    assert changed.status_code == 204, changed.text
    # No device token sent: this second sign-in is a new device's, and mailed too.
    other = _api(gunicorn_url, "POST", "/login", username=name, password=NEW_PASSWORD).json()
    mails = mailbox.wait_for(address, 3)
    [notice] = [m for m in mails if m["subject"] == "Your firegate password was changed"]
    link = on_this_server(gunicorn_url, mailbox.link_in(notice))
    with chromium(javascript=False) as page:
        press_the_button(page, link, gunicorn_url, other)
    mails = mailbox.wait_for(address, 4)
    assert len([m for m in mails if "/reset-password?token=" in m["text"]]) == 1
    with chromium(javascript=True) as scripted:
        scripted.goto(link)
        assert violations(scripted) == []
        scripted.get_by_role("main").get_by_role("button").click()
        assert "invalid" in scripted.inner_text("main")  # spent: the 400 page
        assert violations(scripted) == []


def press_the_button(page: Page, link: str, gunicorn_url: str, other: dict[str, str]) -> None:
    page.goto(link)
    assert page.get_by_role("heading").inner_text() == "This wasn't me"
    assert _api(gunicorn_url, "GET", "/user", other["access_token"]).status_code == 200
    page.get_by_role("button", name="Sign out everywhere and reset my password").click()
    assert "Every device on your account is signed out" in page.inner_text("main")
    assert _api(gunicorn_url, "GET", "/user", other["access_token"]).status_code == 401
    refresh = _api(gunicorn_url, "POST", "/auth/refresh", refresh_token=other["refresh_token"])
    assert refresh.status_code == 401
