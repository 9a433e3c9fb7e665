"""The pages in a real browser: Debian's Chromium driven by Playwright, on gunicorn, the
emulators and maildev (docs/pages.md). Every password flow here runs with JavaScript off,
and axe-core finds no serious or critical violation on any page."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import Page

from tests.support import mailbox
from tests.support.api import PASSWORD
from tests.support.browser import (
    chromium,
    fill,
    on_this_server,
    set_password_and_sign_in,
    shoot,
    violations,
)
from tests.support.local_servers import another_site

pytestmark = pytest.mark.e2e


@pytest.fixture
def page() -> Iterator[Page]:
    """A page in headless Chromium with JavaScript off: the password flows need none."""
    with chromium(javascript=False) as found:
        yield found


@pytest.fixture
def scripted_page() -> Iterator[Page]:
    """JavaScript on, for axe-core (Playwright evaluates nothing in a page without it)."""
    with chromium(javascript=True) as found:
        yield found


def test_the_inlined_stylesheet_applies_under_the_pages_csp(gunicorn_url: str, page: Page) -> None:
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text))
    page.goto(gunicorn_url + "/sign-in")
    # pages.css: "main { max-width: 26rem }", 16 px to the rem.
    assert page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth") == "416px"
    assert not [text for text in refused if "Content Security Policy" in text]


def test_sign_up_then_the_mail_link_verifies(gunicorn_url: str, firestore: Any, page: Page) -> None:
    name = "p" + uuid.uuid4().hex[:10]
    address = f"{name}@example.com"
    page.goto(gunicorn_url + "/sign-up")
    shoot(page, "sign-up")
    fill(page, username=name, email=address, password=PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(gunicorn_url + "/account")
    assert name in page.inner_text("main") and "not verified" in page.inner_text("main")
    [mail] = mailbox.wait_for(address)
    page.goto(on_this_server(gunicorn_url, mailbox.link_in(mail)))
    assert page.get_by_role("heading").inner_text() == "Verify your e-mail address"
    page.get_by_role("button", name="Verify my address").click()
    assert f"{address} is verified." in page.inner_text("main")
    page.goto(gunicorn_url + "/account")
    assert "(verified)" in page.inner_text("main")


def test_forgot_then_reset_then_signed_in(gunicorn_url: str, firestore: Any, page: Page) -> None:
    name = "p" + uuid.uuid4().hex[:10]
    address = f"{name}@example.com"
    page.goto(gunicorn_url + "/sign-up")
    fill(page, username=name, email=address, password=PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(gunicorn_url + "/account")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(gunicorn_url + "/sign-in")
    shoot(page, "sign-in")
    page.get_by_role("link", name="Forgot your password?").click()
    fill(page, email=address)
    page.get_by_role("button", name="Send me a link").click()
    assert "If an account has this address" in page.inner_text("main")
    reset = mailbox.wait_for(address, 2)[1]  # the verification mail, then the reset
    set_password_and_sign_in(page, gunicorn_url, mailbox.link_in(reset), address)
    assert name in page.inner_text("main")


def test_no_serious_accessibility_violation_signed_out_or_in(
    gunicorn_url: str, firestore: Any, scripted_page: Page
) -> None:
    page = scripted_page
    found: dict[str, list[str]] = {}
    for path in (
        "/sign-in",
        "/sign-up",
        "/forgot-password",
        "/verify-email?token=x",
        "/reset-password?token=x",
    ):
        page.goto(gunicorn_url + path)
        found[path] = violations(page)
    # A refused form: its errors beside the fields.
    page.goto(gunicorn_url + "/sign-up")
    fill(page, username="x", email="not-an-address@example.com", password="short")
    page.get_by_role("button", name="Create account").click()
    assert page.locator("[role=alert]").count() >= 1
    found["/sign-up (refused)"] = violations(page)
    name = "p" + uuid.uuid4().hex[:10]
    fill(page, username=name, email=f"{name}@example.com", password=PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(gunicorn_url + "/account")
    found["/account"] = violations(page)
    assert found == {path: [] for path in found}


def sign_up(page: Page, base: str) -> str:
    """A new account made on /sign-up in this browser, which is then signed in: its name."""
    name = "p" + uuid.uuid4().hex[:10]
    page.goto(base + "/sign-up")
    fill(page, username=name, email=f"{name}@example.com", password=PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(base + "/account")
    return name


def test_a_forged_post_from_another_site_changes_nothing(
    gunicorn_url: str, firestore: Any, page: Page
) -> None:
    """A signed-in person opens another site whose form posts to the account page; the
    browser sends it (a click, no script needed), and firegate refuses it with a 403."""
    name = sign_up(page, gunicorn_url)
    forged = (
        f'<form method="post" action="{gunicorn_url}/account/language">'
        '<input type="hidden" name="locale" value="es">'
        '<input type="hidden" name="csrf_token" value="guessed">'
        '<button type="submit">Win a prize</button></form>'
        f'<form method="post" action="{gunicorn_url}/sign-out">'
        '<button type="submit">Another prize</button></form>'
    )
    with another_site(forged) as url:
        for prize in ("Win a prize", "Another prize"):
            page.goto(url)
            with page.expect_response(lambda r: r.url.startswith(gunicorn_url)) as answer:
                page.get_by_role("button", name=prize).click()
            assert answer.value.status == 403, prize
    page.goto(gunicorn_url + "/account")
    assert page.url == gunicorn_url + "/account"  # still signed in
    assert name in page.inner_text("main")
    assert page.locator("html").get_attribute("lang") == "en"  # the language unchanged
    assert page.locator("#language-locale").input_value() == "en"  # as chosen at sign-up


def test_a_spanish_browser_gets_spanish_pages_and_its_account_keeps_the_language(
    gunicorn_url: str, firestore: Any
) -> None:
    with chromium(javascript=False, locale="es-ES") as page:
        page.goto(gunicorn_url + "/sign-in")
        assert page.locator("html").get_attribute("lang") == "es"
        assert page.get_by_role("button", name="Iniciar sesión").count() == 1
        shoot(page, "sign-in-es")
        name = sign_up(page, gunicorn_url)
        assert page.locator("html").get_attribute("lang") == "es"
    # The account chose Spanish at sign-up: an English browser signed in to it reads Spanish.
    with chromium(javascript=False, locale="en-US") as page:
        page.goto(gunicorn_url + "/sign-in")
        assert page.locator("html").get_attribute("lang") == "en"
        fill(page, username=name, password=PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(gunicorn_url + "/account")
        assert page.locator("html").get_attribute("lang") == "es"
        assert "Perfil" in page.title()  # the account area's first section


def test_the_root_leads_a_browser_to_sign_in_then_to_its_account(
    gunicorn_url: str, firestore: Any, page: Page
) -> None:
    page.goto(gunicorn_url + "/")
    assert page.url == gunicorn_url + "/sign-in"
    sign_up(page, gunicorn_url)
    page.goto(gunicorn_url + "/")
    assert page.url == gunicorn_url + "/account"
    # A program asking for it (requests sends Accept: */*) still gets the API's 404.
    answer = requests.get(gunicorn_url + "/", timeout=10)
    assert answer.status_code == 404
    assert answer.headers["Content-Type"] == "application/problem+json"


def test_a_signed_out_english_browser_chooses_spanish_and_an_english_account_stays_english(
    gunicorn_url: str, firestore: Any
) -> None:
    # JavaScript on for axe-core only: the switch is a form.
    with chromium(javascript=True, locale="en-US") as page:
        name = sign_up(page, gunicorn_url)  # the account's language: English, the browser's
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(gunicorn_url + "/sign-in")
        assert page.locator("html").get_attribute("lang") == "en"
        found = {"/sign-in (English)": violations(page)}
        switch = page.get_by_role("navigation", name="Language")
        assert switch.locator("[aria-current=true]").inner_text() == "English"
        switch.get_by_role("button", name="Español").click()
        page.wait_for_url(gunicorn_url + "/sign-in")
        assert page.locator("html").get_attribute("lang") == "es"
        assert page.get_by_role("button", name="Iniciar sesión").count() == 1
        found["/sign-in (Spanish, chosen)"] = violations(page)
        page.get_by_role("link", name="¿Olvidaste tu contraseña?").click()
        assert page.locator("html").get_attribute("lang") == "es"  # the other pages too
        page.goto(gunicorn_url + "/sign-in")
        fill(page, username=name, password=PASSWORD)
        page.get_by_role("button", name="Iniciar sesión").click()
        page.wait_for_url(gunicorn_url + "/account")
        assert page.locator("html").get_attribute("lang") == "en"  # the account's language
        assert "Profile" in page.title()
        assert page.get_by_role("navigation", name="Language").count() == 0
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(gunicorn_url + "/sign-in")
        assert page.locator("html").get_attribute("lang") == "es"  # the browser's choice
    assert found == {path: [] for path in found}
