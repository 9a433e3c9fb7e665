"""/admin's apps told by back-channel logout in a real browser, 375 px wide (docs/pages.md): an
admin registers an app with a back-channel logout URI, a person signs in to it and signs out
everywhere, the receiver in the test gets the logout token, and the app's logout notices show
it delivered; axe-core finds no serious violation on these pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from tests.support.browser import admin, chromium, violations
from tests.support.served_oauth import REDIRECT, account, code_by_forms, signed_in_session
from tests.support.served_webhooks import Receiver, login, receiver

pytestmark = pytest.mark.e2e
__all__ = ["receiver"]  # the fixture, used here
PHONE = 375


def test_an_admin_registers_an_app_told_of_logouts_and_sees_them_delivered(
    gunicorn_url: str, firestore: Any, receiver: Receiver
) -> None:
    base = gunicorn_url
    found: dict[str, list[str]] = {}
    with chromium(javascript=True) as page:
        page.set_viewport_size({"width": PHONE, "height": 800})
        admin(page, base)
        page.goto(base + "/admin#add-client")
        found["/admin"] = violations(page)
        page.fill("#client-name", "Told App")
        page.fill("#client-redirect_uris", REDIRECT)
        page.fill("#client-backchannel_logout_uri", f"{receiver.url}/bc")
        page.get_by_label("Each logout token names the session (sid)").check()
        page.get_by_role("button", name="Register the app").click()
        client_id = page.locator("#client_id").input_value()
        assert f"{receiver.url}/bc" in page.inner_text("main")
        found["/admin/clients (registered)"] = violations(page)

        # a person signs in to the app, then signs out everywhere
        username = account(base)
        code, verifier = code_by_forms(base, signed_in_session(base, username), client_id)
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
        form |= {"client_id": client_id, "code_verifier": verifier}
        assert requests.post(f"{base}/oauth/token", data=form, timeout=10).status_code == 200
        token = login(base, username).json()["access_token"]
        ended = requests.post(
            f"{base}/auth/logout?all=true", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert ended.status_code == 204
        receiver.wait_for(lambda: len(receiver.on("/bc")) == 1)

        page.goto(base + "/admin")
        page.get_by_role("link", name="Logout notices").click()
        page.wait_for_url(re.compile(re.escape(f"{base}/admin/clients/{client_id}/logouts")))
        main = page.inner_text("main")
        assert "Logout notices to Told App" in main and "Delivered" in main
        found["/admin/clients/<id>/logouts"] = violations(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    assert found == {path: [] for path in found}
