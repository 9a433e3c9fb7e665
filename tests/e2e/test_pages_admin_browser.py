"""/admin in a real browser (docs/pages.md): Debian's Chromium driven by Playwright, on
gunicorn, the emulators and maildev; the first admin is made on the command line."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
import requests
from playwright.sync_api import Page

from tests.support import mailbox
from tests.support.api import PASSWORD
from tests.support.browser import (
    admin,
    another_browser,
    chromium,
    fill,
    set_password_and_sign_in,
    shoot,
    signed_up,
    violations,
)

pytestmark = pytest.mark.e2e


def open_user(page: Page, base: str, name: str) -> None:
    """Find ``name`` on /admin and open its page."""
    page.goto(base + "/admin")
    fill(page, prefix=name)
    page.get_by_role("button", name="Search").click()
    shoot(page, "admin")
    page.get_by_role("link", name=name, exact=True).click()
    page.wait_for_url(re.compile(re.escape(base) + r"/admin/users/[\w-]+"))
    assert page.get_by_role("heading", level=1).inner_text() == name
    shoot(page, "admin-user")


def test_a_disabled_user_is_signed_out_on_the_next_click(gunicorn_url: str, firestore: Any) -> None:
    base = gunicorn_url
    with chromium(javascript=False) as person:
        operator = another_browser(person)
        name = signed_up(person, base)
        # Signed in, the header's link leads back to the account page.
        person.get_by_role("link", name="firegate").click()
        person.wait_for_url(base + "/account")
        admin(operator, base)
        open_user(operator, base, name)
        operator.get_by_role("button", name="Disable the account").click()
        status = operator.get_by_role("status")
        assert status.inner_text() == "The account is disabled; every session of it has ended."
        assert "Disabled" in operator.inner_text("main")
        # The person's next click: signed out, the sign-in page stays.
        person.get_by_role("link", name="firegate").click()
        person.wait_for_url(base + "/sign-in")
        person.goto(base + "/account")
        person.wait_for_url(base + "/sign-in?next=%2Faccount")


def test_an_admin_invites_someone_who_sets_a_password_from_the_mail(
    gunicorn_url: str, firestore: Any
) -> None:
    base = gunicorn_url
    invitee = "i" + uuid.uuid4().hex[:10]
    address = f"{invitee}@example.com"
    with chromium(javascript=False) as page:
        admin(page, base)
        page.goto(base + "/admin")
        fill(page, email=address)
        page.get_by_label("Role", exact=True).select_option("uploader")
        page.get_by_role("button", name="Send the invitation").click()
        page.wait_for_url(re.compile(re.escape(base) + r"/admin/users/[\w-]+\?done=invited"))
        assert page.get_by_role("heading", level=1).inner_text() == invitee
        assert "Uploader" in page.inner_text("main")
        [mail] = mailbox.wait_for(address)
        link = mailbox.link_in(mail)
        assert "/reset-password?token=" in link
        page.context.clear_cookies()  # the invitee's browser
        set_password_and_sign_in(page, base, link, address)
        assert invitee in page.inner_text("main")


def test_no_serious_accessibility_violation_on_the_admin_pages(
    gunicorn_url: str, firestore: Any
) -> None:
    base = gunicorn_url
    found: dict[str, list[str]] = {}
    with chromium(javascript=True) as page:
        name = signed_up(page, base)
        page.context.clear_cookies()
        admin(page, base)
        page.goto(base + "/admin")
        found["/admin"] = violations(page)
        open_user(page, base, name)
        found["/admin/users/<id>"] = violations(page)
        page.get_by_role("button", name="Send a verification mail").click()
        page.get_by_role("status").wait_for()  # the answer's page: the user's, saying it is done
        assert page.get_by_role("status").count() == 1
        found["/admin/users/<id> (done)"] = violations(page)
        # A refused invitation: the address is taken, the message beside its field.
        page.goto(base + "/admin")
        fill(page, email=f"{name}@example.com", username="n" + uuid.uuid4().hex[:10])
        page.get_by_role("button", name="Send the invitation").click()
        page.locator("#email-error[role=alert]").wait_for()  # the answer's page, once it is there
        assert page.locator("#email-error[role=alert]").count() == 1
        found["/admin (refused)"] = violations(page)
    assert found == {path: [] for path in found}


def test_an_admin_registers_an_app_on_admin_and_sees_its_secret_once(
    gunicorn_url: str, firestore: Any
) -> None:
    seen: list[str] = []  # axe-core's serious findings, on each page shown
    with chromium(javascript=True) as page:
        admin(page, gunicorn_url)
        page.goto(gunicorn_url + "/admin")
        fill(page, name="Backend " + uuid.uuid4().hex[:6])
        uris = page.get_by_label("Redirect URIs, one per line")
        uris.fill("http://app.example.com/callback")  # http, not on a loopback address
        page.get_by_label("Confidential: a server-side app that keeps a secret").check()
        page.get_by_role("button", name="Register the app").click()
        page.locator(
            "#client-redirect_uris-error[role=alert]"
        ).wait_for()  # the answer's page, once it is there
        assert page.locator("#client-redirect_uris-error[role=alert]").count() == 1
        assert page.get_by_label("Confidential: a server-side app that keeps a secret").is_checked()
        seen += violations(page)  # the refusal
        page.get_by_label("Redirect URIs, one per line").fill("https://app.example.com/callback")
        page.get_by_label("openid", exact=True).check()
        page.get_by_label("roles", exact=True).check()  # a scope of the client's own token
        page.get_by_role("button", name="Register the app").click()
        assert page.get_by_role("heading", level=1).inner_text() == "App registered"
        client_id = page.get_by_label("Client id").input_value()
        secret = page.get_by_label("Client secret").input_value()
        seen += violations(page)  # the new app, its secret
        page.goto(gunicorn_url + "/admin")
        listing = page.inner_text("main")
        assert client_id in listing and secret not in listing
    # The secret is the client's: a token for the client itself.
    answer = requests.post(
        gunicorn_url + "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["token_type"] == "Bearer"
    assert seen == []


@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_a_signed_in_person_refused_a_page_is_offered_their_account_not_sign_in(
    gunicorn_url: str, firestore: Any, locale: str
) -> None:
    """The 403 page of a signed-in person: "Your account" and "Sign out", which works, never
    "Sign in"; accessible, at 375 px."""
    base, name = gunicorn_url, "p" + uuid.uuid4().hex[:10]
    with chromium(javascript=True, locale=locale) as page:
        page.set_viewport_size({"width": 375, "height": 800})
        page.goto(base + "/sign-up")
        fill(page, username=name, email=f"{name}@example.com", password=PASSWORD)
        page.click("form[action='/sign-up'] button[type=submit]")
        page.wait_for_url(base + "/account")
        answer = page.goto(base + "/admin")
        assert answer is not None and answer.status == 403
        english = locale == "en-US"
        links = [link.inner_text() for link in page.locator("main a").all()]
        assert links == ["Your account" if english else "Tu cuenta"]
        assert violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.get_by_role("button", name="Sign out" if english else "Cerrar sesión").click()
        page.wait_for_url(base + "/sign-in")
        page.goto(base + "/account")
        page.wait_for_url(base + "/sign-in?next=%2Faccount")
