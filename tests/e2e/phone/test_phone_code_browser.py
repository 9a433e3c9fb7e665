"""Sign-in by a texted code in Chromium against gunicorn, the text handed to a real receiver
that checks the Standard Webhooks signature of each call (docs/sign-in-with-a-phone-number.md):
"Text me a code" on /sign-in, a premium-rate number refused beside its field, then the number,
the code, the account; with JavaScript off, in English and Spanish, every page axe-clean at
375 px. A server without phone sign-in offers none of it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize

from tests.support.browser import chromium, fill, phone_checked
from tests.support.hook_receiver import HookReceiver
from tests.support.phone_pages import new_number, phone_sign_in_served, texted_code

pytestmark = pytest.mark.e2e
PHONE: ViewportSize = {"width": 375, "height": 800}
PREMIUM = "+44 909 879 0000"
WORDS = {
    "en-US": {
        "ask": "Text me a code",
        "type": "This kind of number cannot be sent a code: give a mobile or landline number.",
        "sent": "A text with a 6-digit code is on its way to your phone.",
        "sign_in": "Sign in",
    },
    "es-ES": {
        "ask": "Envíame un código por SMS",
        "type": "Este tipo de número no puede recibir un código: indica un número móvil o fijo.",
        "sent": "Un SMS con un código de 6 cifras va de camino a tu teléfono.",
        "sign_in": "Iniciar sesión",
    },
}


@pytest.fixture(scope="module")
def texting(emulators: Any) -> Iterator[tuple[str, HookReceiver]]:
    with phone_sign_in_served("gunicorn-phone-code.log") as served:
        yield served


@pytest.mark.parametrize(
    ("locale", "javascript"),
    [("en-US", True), ("es-ES", True), ("en-US", False)],
    ids=["en", "es", "en_no_js"],
)
def test_a_texted_code_signs_in_and_a_premium_number_is_refused(
    texting: tuple[str, HookReceiver], locale: str, javascript: bool
) -> None:
    """With JavaScript, each page is checked at 375 px (axe runs as a page script); without
    it, the forms alone do the same."""
    base, receiver = texting
    words, number = WORDS[locale], new_number()
    checked = phone_checked if javascript else lambda page: None
    with chromium(javascript=javascript, locale=locale) as page:
        page.set_viewport_size(PHONE)
        page.goto(base + "/sign-in")
        checked(page)
        page.get_by_role("link", name=words["ask"]).click()
        page.wait_for_url(base + "/sign-in/phone-code?next=%2Faccount")
        checked(page)
        field = page.locator("input[name=phone_number]")
        assert (field.get_attribute("type"), field.get_attribute("autocomplete")) == ("tel", "tel")
        assert field.get_attribute("inputmode") == "tel"

        _ask(page, PREMIUM, words["ask"], status=422)
        assert page.locator("#phone_number-error").inner_text() == words["type"]
        assert field.input_value() == PREMIUM
        checked(page)

        _ask(page, number, words["ask"], status=303)
        page.wait_for_url(base + "/sign-in/phone-code/verify?**")
        assert words["sent"] in page.inner_text("main")
        checked(page)
        code = page.locator("input[name=code]")
        assert code.get_attribute("autocomplete") == "one-time-code"
        # No pattern: a code pasted as "123 456" reaches the server, which reads the digits.
        assert (code.get_attribute("inputmode"), code.get_attribute("pattern")) == ("numeric", None)
        fill(page, code=texted_code(receiver, number))
        page.get_by_role("main").get_by_role("button", name=words["sign_in"]).click()
        page.wait_for_url(base + "/account")
        checked(page)
    assert receiver.refused == []  # every call carried a valid signature
    assert all(text["to"] != "+449098790000" for text in receiver.received)


def _ask(page: Page, typed: str, button: str, *, status: int) -> None:
    fill(page, phone_number=typed)
    with page.expect_response(lambda r: r.request.method == "POST") as answered:
        page.get_by_role("button", name=button).click()
    assert answered.value.status == status


def test_a_server_without_phone_sign_in_offers_none_of_it(gunicorn_url: str) -> None:
    with chromium(javascript=False) as page:
        page.goto(gunicorn_url + "/sign-in")
        assert page.get_by_role("link", name="Text me a code").count() == 0
        answer = page.goto(gunicorn_url + "/sign-in/phone-code")
        assert answer is not None and answer.status == 404
        assert "Signing in by text message is off here." in page.inner_text("main")
