"""An app's link opened in Chromium (no app installed) against gunicorn, the mail read from
maildev (docs/reference/app-links.md): the page shows the code, in English and Spanish,
axe-clean at 375 px, with nothing to press and no session; the app redeems the link after."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from playwright.sync_api import ViewportSize

from tests.support import mailbox
from tests.support.browser import chromium, on_this_server, phone_checked
from tests.support.email_codes import code_in

pytestmark = pytest.mark.e2e
PHONE: ViewportSize = {"width": 375, "height": 800}


def test_a_browser_opening_an_apps_link_sees_the_code_and_signs_nothing_in(
    gunicorn_url: str, firestore: Any
) -> None:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    address = f"appb{uuid.uuid4().hex[:10]}@example.com"
    body = {"email": address, "code_challenge": challenge.rstrip(b"=").decode()}
    asked = requests.post(f"{gunicorn_url}/auth/email-code", json=body, timeout=60)
    assert asked.status_code == 202, asked.text
    [mail] = mailbox.wait_for(address)
    code = code_in(mail["text"])
    mailed = next(word for word in mail["text"].split() if "/app/sign-in?" in word)
    link = on_this_server(gunicorn_url, mailed)
    for locale, words in [
        ("en-US", "Type this code where you asked for it:"),
        ("es-ES", "Escribe este código donde lo pediste:"),
    ]:
        with chromium(javascript=True, locale=locale) as page:
            page.set_viewport_size(PHONE)
            page.goto(link)
            main = page.inner_text("main")
            assert code in main and words in main, main
            assert page.get_by_role("main").get_by_role("button").count() == 0
            phone_checked(page)
            cookies = {c["name"] for c in page.context.cookies()}
            assert not {name for name in cookies if "session" in name}, cookies
    token = parse_qs(urlsplit(link).query)["token"][0]
    redeemed = requests.post(
        f"{gunicorn_url}/auth/email-code/redeem",
        json={"token": token, "code_verifier": verifier},
        timeout=60,
    )
    assert redeemed.status_code == 200, redeemed.text  # opening it spent nothing
