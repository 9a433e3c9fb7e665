"""Sign-in by e-mail code in Chromium against gunicorn, the mail read from maildev
(docs/reference/email-code.md): "E-mail me a code" on /sign-in, the address, the code; the
mail's link opened by a mail scanner (a plain GET) first, then on a "phone" (another
browser context), which is shown the code and gets no session, then in the browser that
asked, which signs in with one click. Every page axe-clean at 375 px, in English and Spanish.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, ViewportSize

from tests.support import mailbox
from tests.support.browser import chromium, fill, on_this_server, own_context, phone_checked
from tests.support.email_codes import code_in

pytestmark = pytest.mark.e2e
PHONE: ViewportSize = {"width": 375, "height": 800}


def _ask(page: Page, base: str, address: str, *, link: str, button: str) -> None:
    page.set_viewport_size(PHONE)
    page.goto(base + "/sign-in")
    phone_checked(page)
    page.get_by_role("link", name=link).click()
    page.wait_for_url(base + "/sign-in/email-code?next=%2Faccount")
    phone_checked(page)
    fill(page, email=address)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(base + "/sign-in/email-code/verify?**")
    phone_checked(page)
    field = page.locator("input[name=code]")
    assert field.get_attribute("autocomplete") == "one-time-code"
    assert field.get_attribute("inputmode") == "numeric"


def test_the_link_signs_in_only_the_browser_that_asked(gunicorn_url: str, firestore: Any) -> None:
    address = f"e{uuid.uuid4().hex[:10]}@example.com"
    with chromium(javascript=True) as page:
        _ask(page, gunicorn_url, address, link="E-mail me a code", button="E-mail me a code")
        [mail] = mailbox.wait_for(address)
        code = code_in(mail["text"])
        link = on_this_server(gunicorn_url, mailbox.link_in(mail))
        assert "/sign-in/email?token=" in link and "flow=" not in link
        # A mail scanner opens the link first: a GET spends nothing.
        scanned = requests.get(link, timeout=60)
        assert scanned.status_code == 200 and code in scanned.text
        with own_context(page) as phone:
            phone.set_viewport_size(PHONE)
            phone.goto(link)
            main = phone.inner_text("main")
            assert code in main and "Type this code where you asked for it:" in main
            assert phone.get_by_role("main").get_by_role("button").count() == 0
            phone_checked(phone)
            phone.goto(gunicorn_url + "/account")
            assert phone.url.startswith(gunicorn_url + "/sign-in")  # no session there
        page.goto(link)
        phone_checked(page)
        assert code not in page.inner_text("main")
        page.get_by_role("main").get_by_role("button", name="Sign in").click()
        page.wait_for_url(gunicorn_url + "/account")
        assert address in page.inner_text("main")


def test_a_pasted_code_signs_in_in_spanish(gunicorn_url: str, firestore: Any) -> None:
    address = f"s{uuid.uuid4().hex[:10]}@example.com"
    with chromium(javascript=True, locale="es-ES") as page:
        _ask(page, gunicorn_url, address, link="Envíame un código", button="Envíame un código")
        [mail] = mailbox.wait_for(address)
        assert "código" in mail["subject"]
        code = code_in(mail["text"])
        fill(page, code=f"{code[:3]} {code[3:]}")  # as pasted from a mail that spaced it
        page.get_by_role("button", name="Iniciar sesión").click()
        page.wait_for_url(gunicorn_url + "/account")
        phone_checked(page)
