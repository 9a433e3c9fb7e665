"""Sign-in by e-mail code in Chromium against gunicorn, the mail read from maildev
(docs/reference/email-code.md): "E-mail me a code" on /sign-in, the address, the code; the
mail's link opened by a mail scanner (a plain GET) first, then on a "phone" (another
browser context), which is shown the code and gets no session, then in the browser that
asked, which signs in with one click. Every page axe-clean at 375 px, in English and Spanish.
"""

from __future__ import annotations

import uuid
from typing import Any

import pyotp
import pytest
import requests
from playwright.sync_api import Page, ViewportSize

from tests.support import mailbox
from tests.support.browser import chromium, fill, on_this_server, own_context, phone_checked
from tests.support.email_codes import code_in
from tests.support.servers import serving

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


WAYS_IN = {
    "en-US": ("E-mail me a code", "Sign in", "This account has no password. You sign in with:",
              "a code e-mailed to", "Set up two-step sign-in", "Turn on", "Recovery codes"),
    "es-ES": ("Envíame un código", "Iniciar sesión", "Esta cuenta no tiene contraseña. Entras con:",
              "un código enviado por correo a", "Configurar el inicio de sesión en dos pasos",
              "Activar", "Códigos de recuperación"),
}  # fmt: skip


@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_an_account_made_by_a_code_sets_up_two_step_sign_in_without_a_password(
    gunicorn_url: str, firestore: Any, locale: str
) -> None:
    """/account/security says how the account signs in, and two-step sign-in is set up with
    the fresh sign-in by code standing in for the password it does not have."""
    ask, sign_in, no_password, by_code, set_up, turn_on, recovery = WAYS_IN[locale]
    address = f"t{uuid.uuid4().hex[:10]}@example.com"
    with chromium(javascript=True, locale=locale) as page:
        _ask(page, gunicorn_url, address, link=ask, button=ask)
        [mail] = mailbox.wait_for(address)
        fill(page, code=code_in(mail["text"]))
        page.get_by_role("button", name=sign_in).click()
        page.wait_for_url(gunicorn_url + "/account")
        page.goto(gunicorn_url + "/account/security")
        password = page.locator("section[aria-labelledby='password-heading']")
        assert no_password in password.inner_text()
        assert f"{by_code} {address}" in password.get_by_role("listitem").all_inner_texts()
        totp = page.locator("section[aria-labelledby='totp-heading']")
        assert totp.locator("input[type=password]").count() == 0
        for width in (375, 1280):
            page.set_viewport_size({"width": width, "height": 800})
            phone_checked(page)

        # A forged post (the browser's cookies, no CSRF token) starts nothing.
        forged = page.request.post(gunicorn_url + "/account/totp", form={})
        assert forged.status == 403
        assert not firestore.document(f"mfa/{page_user_id(firestore, address)}").get().exists

        totp.get_by_role("button", name=set_up).click()
        secret = page.locator("#totp-secret").inner_text()
        phone_checked(page)
        fill(page, code=pyotp.TOTP(secret).now())
        page.get_by_role("button", name=turn_on, exact=True).click()
        # The click does not wait for the next page: the heading is waited for (it was not
        # there yet once, on a busy machine).
        page.get_by_role("heading", name=recovery, exact=True).wait_for()
        assert page.locator("#recovery-codes li").count() == 10
        phone_checked(page)
        factor = firestore.document(f"mfa/{page_user_id(firestore, address)}").get().to_dict()
        assert factor["active"] is True


def page_user_id(firestore: Any, address: str) -> str:
    (found,) = [u.id for u in firestore.collection("users").stream() if u.get("email") == address]
    return str(found)


LIMITED = {
    "en-US": ("E-mail me a code", "Too many attempts", "You can try again in"),
    "es-ES": ("Envíame un código", "Demasiados intentos", "Puedes volver a intentarlo en"),
}


def test_past_the_request_limit_the_form_comes_back_with_when(firestore: Any) -> None:
    """RATE_LIMIT_EMAIL_CODE refuses a third request from this address: the page is the form
    again, the address kept, the message and Retry-After; at 375 and 1280 px, in English
    and Spanish, axe-clean (docs/pages.md)."""
    with serving("gunicorn-email-code-limit.log", RATE_LIMIT_EMAIL_CODE="2/hour") as url:
        for locale, (button, said, wait) in LIMITED.items():
            with chromium(javascript=True, locale=locale) as page:
                for n in range(2 if locale == "en-US" else 0):
                    page.goto(url + "/sign-in/email-code")
                    fill(page, email=f"q{n}{uuid.uuid4().hex[:8]}@example.com")
                    page.get_by_role("button", name=button).click()
                    page.wait_for_url(url + "/sign-in/email-code/verify?**")
                address = f"q{uuid.uuid4().hex[:10]}@example.com"
                page.goto(url + "/sign-in/email-code")
                fill(page, email=address)
                with page.expect_response(lambda r: r.request.method == "POST") as answered:
                    page.get_by_role("button", name=button).click()
                answer = answered.value
                assert answer.status == 429
                assert 1 <= int(answer.headers["retry-after"]) <= 7200
                alert = page.get_by_role("alert").inner_text()
                assert said in alert and wait in alert
                assert page.locator("input[name=email]").input_value() == address
                for width in (375, 1280):
                    page.set_viewport_size({"width": width, "height": 800})
                    phone_checked(page)
            assert mailbox.to(address) == []
