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

from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from bootstrap import build_adapters
from tests.support.api import PASSWORD, services
from tests.support.app import app_on
from tests.support.browser import NEW_PASSWORD, chromium, fill, phone_checked, shoot, violations
from tests.support.browser import signed_up as signed_up_as
from tests.support.hook_receiver import HookReceiver, hook_receiver
from tests.support.servers import serving
from tests.support.settings import make_settings
from tests.support.webhooks import ADMIN

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
    refused = page.locator("#password-current_password-error[role=alert]")
    refused.wait_for()  # the answer's page, once it is there
    assert refused.count() == 1
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


@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_the_phone_number_changed_by_its_code_and_removed_on_the_profile(
    firestore: Any, locale: str
) -> None:
    """With phone sign-in on (PHONE_SIGN_IN and a send_sms hook to a receiver that checks each
    call's signature), at 375 px: a new number, its texted code typed, then its removal;
    axe-core finds nothing serious in each state."""
    settings = make_settings(app_profile="local", phone_sign_in=True)
    app = app_on(settings, build_adapters(settings, firestore=firestore))
    with hook_receiver("/sms") as receiver:
        hook = SetAuthHook(ADMIN, "send_sms", receiver.url)
        receiver.secret = (
            services(app).of(HookServices).hooks.set(hook).secret
        )  # before gunicorn reads it
        with (
            serving("gunicorn-phone-e2e.log", PHONE_SIGN_IN="true") as base,
            chromium(javascript=True, locale=locale) as page,
        ):
            phone_section(page, base, receiver, PHONE_WORDS[locale])


def phone_section(page: Page, base: str, receiver: HookReceiver, words: dict[str, str]) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    # The account speaks the language its browser asked for at sign-up.
    signed_up_as(page, base, button=words["create"])
    assert words["none"] in page.inner_text("#phone-number")
    assert page.locator("#phone-phone_number").get_attribute("autocomplete") == "tel"
    phone_checked(page)
    page.fill("#phone-phone_number", "0612345678")  # no country code: said beside it
    page.locator("form[action='/account/phone'] button").click()
    refused = page.locator("#phone-phone_number-error[role=alert]")
    refused.wait_for()  # the answer's page, once it is there
    assert refused.count() == 1
    phone_checked(page)
    page.fill("#phone-phone_number", "+33 6 12 34 56 78")
    page.locator("form[action='/account/phone'] button").click()
    page.wait_for_url(base + "/account?done=phone-sent")
    code = page.locator("#phone-code-code")
    assert code.get_attribute("autocomplete") == "one-time-code"
    assert code.get_attribute("inputmode") == "numeric"
    phone_checked(page)
    texted = wait_for_text(receiver)
    assert (texted["kind"], texted["to"]) == ("phone_change", "+33612345678")
    code.fill(texted["code"])
    page.locator("form[action='/account/phone/verify'] button").click()
    page.wait_for_url(base + "/account?done=phone")
    assert "+33 6 12 34 56 78" in page.inner_text("#phone-number")  # as people write it
    phone_checked(page)
    page.locator("form[action='/account/phone/remove'] button").click()
    page.wait_for_url(base + "/account?done=phone-removed")
    assert words["none"] in page.inner_text("#phone-number")
    phone_checked(page)
    assert receiver.refused == []


PHONE_WORDS = {
    "en-US": {"none": "No phone number.", "create": "Create account"},
    "es-ES": {"none": "Sin número", "create": "Crear cuenta"},
}


def wait_for_text(receiver: HookReceiver) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        with receiver.lock:
            if receiver.received:
                return receiver.received[-1]
        assert time.monotonic() < deadline, receiver.refused
        time.sleep(0.05)
