"""The account page in a real browser (docs/pages.md): Debian's Chromium driven by
Playwright, on gunicorn and the emulators, with JavaScript off for the flows; axe-core finds
no serious or critical violation on the page in each state of two-step sign-in."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Page

from tests.support.api import PASSWORD
from tests.support.browser import NEW_PASSWORD, chromium, fill, shoot, violations

pytestmark = pytest.mark.e2e


def signed_up(page: Page, base: str) -> str:
    """A new account, signed in on /account: its username."""
    name = "p" + uuid.uuid4().hex[:10]
    page.goto(base + "/sign-up")
    fill(page, username=name, email=f"{name}@example.com", password=PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(base + "/account")
    return name


def sign_out(page: Page, base: str) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(base + "/sign-in")


def sign_in(page: Page, base: str, name: str, password: str) -> None:
    page.goto(base + "/sign-in")
    fill(page, username=name, password=password)
    page.get_by_role("button", name="Sign in").click()


def start_totp(page: Page) -> str:
    """On /account/security, TOTP set up behind the password: the secret as the page shows
    it."""
    if not page.url.endswith("/account/security"):
        page.get_by_role("link", name="Sign-in and security").click()
        page.wait_for_url("**/account/security")
    page.fill("#totp-start-password", PASSWORD)
    page.get_by_role("button", name="Set up two-step sign-in").click()
    page.wait_for_selector("#totp-secret")
    assert page.locator("figure.qr svg").count() == 1
    shoot(page, "account-totp-setup")
    return page.inner_text("#totp-secret").strip()


def confirm_totp(page: Page, secret: str) -> list[str]:
    """The first code turns TOTP on: the recovery codes, shown this once."""
    page.fill("#totp-confirm-code", pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    page.wait_for_selector("#recovery-codes")
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    shoot(page, "account-recovery-codes")
    return codes


def test_totp_enrolled_on_the_page_then_sign_in_with_a_code_and_a_recovery_code(
    gunicorn_url: str, firestore: Any
) -> None:
    with chromium(javascript=False) as page:  # the forms need no script
        enrol_and_sign_in(page, gunicorn_url)


def enrol_and_sign_in(page: Page, base: str) -> None:
    name = signed_up(page, base)
    secret = start_totp(page)
    codes = confirm_totp(page, secret)
    assert "Two-step sign-in is on." in page.inner_text("main")
    sign_out(page, base)
    # The code that turned it on is spent: the next step's is the one to type.
    sign_in(page, base, name, PASSWORD)
    page.wait_for_url(base + "/sign-in/mfa?next=%2Faccount")
    fill(page, code=pyotp.TOTP(secret).at(time.time(), counter_offset=1))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(base + "/account")
    page.goto(base + "/account/security")
    assert "Recovery codes left: 10." in page.inner_text("main")
    sign_out(page, base)
    sign_in(page, base, name, PASSWORD)
    page.wait_for_url(base + "/sign-in/mfa?next=%2Faccount")
    fill(page, recovery_code=codes[0])
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(base + "/account")
    assert name in page.inner_text("main")
    page.goto(base + "/account/security")
    assert "Recovery codes left: 9." in page.inner_text("main")


def test_a_password_change_on_the_page(gunicorn_url: str, firestore: Any) -> None:
    with chromium(javascript=False) as page:
        change_password(page, gunicorn_url)


def change_password(page: Page, base: str) -> None:
    name = signed_up(page, base)
    page.goto(base + "/account/security")
    page.fill("#password-current_password", PASSWORD)
    page.fill("#password-new_password", NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    page.wait_for_url(base + "/account/security?done=password")
    assert "Your password is changed." in page.inner_text("[role=status]")
    page.goto(base + "/account")  # this browser's session goes on
    assert page.url == base + "/account" and name in page.inner_text("main")
    sign_out(page, base)
    sign_in(page, base, name, PASSWORD)
    assert "Wrong username, e-mail or password." in page.inner_text("[role=alert]")
    sign_in(page, base, name, NEW_PASSWORD)
    page.wait_for_url(base + "/account")


def test_no_serious_accessibility_violation_on_the_account_page(
    gunicorn_url: str, firestore: Any
) -> None:
    with chromium(javascript=True) as page:  # axe-core runs only where script does
        found = audit_each_state(page, gunicorn_url)
    assert found == {state: [] for state in found}


def audit_each_state(page: Page, base: str) -> dict[str, list[str]]:
    """axe-core's serious findings on /account in each state of two-step sign-in."""
    found: dict[str, list[str]] = {}
    signed_up(page, base)
    found["the profile"] = violations(page)
    page.goto(base + "/account/security")
    found["two-step sign-in off"] = violations(page)
    page.fill("#password-current_password", "not my password")
    page.fill("#password-new_password", NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    assert page.locator("#password-current_password-error[role=alert]").count() == 1
    found["a refused form"] = violations(page)
    secret = start_totp(page)
    found["the QR code and the key"] = violations(page)
    page.goto(base + "/account/security")
    assert page.locator("#totp-confirm-code").count() == 1
    found["two-step sign-in pending"] = violations(page)
    confirm_totp(page, secret)
    found["the recovery codes"] = violations(page)
    page.goto(base + "/account/security")
    assert "Two-step sign-in is on" in page.inner_text("main")
    found["two-step sign-in on"] = violations(page)
    return found
