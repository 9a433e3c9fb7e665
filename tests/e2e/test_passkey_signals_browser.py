"""WebAuthn's Signal API from the pages in a real browser (docs/reference/passkeys.md,
"Signals"): Debian's Chromium with its virtual authenticator, on gunicorn and the emulators.

A virtual authenticator need not act on a signal, so an init script wraps the three methods
before the page's scripts run and records each call (its method and its argument) into
``window.signals`` instead: what is checked is the real page script calling them with the
right arguments after a refused sign-in, a deleted passkey and a saved profile."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import CDPSession, Page

from tests.support.api import PASSWORD
from tests.support.browser import chromium, fill, virtual_authenticator

pytestmark = pytest.mark.e2e
SIGNALS = ("signalUnknownCredential", "signalAllAcceptedCredentials", "signalCurrentUserDetails")
RECORD_SIGNALS = """
(() => {
  window.signals = [];
  for (const name of SIGNALS) {
    PublicKeyCredential[name] = (options) => {
      window.signals.push([name, JSON.parse(JSON.stringify(options))]);
      return Promise.resolve();
    };
  }
})();
""".replace("SIGNALS", json.dumps(SIGNALS))
# A browser without the Signal API: the pages must go on as before, with no error.
NO_SIGNALS = "".join(f"delete PublicKeyCredential.{name};" for name in SIGNALS)
MESSAGE_SHOWN = "() => document.getElementById('passkey-sign-in-message').textContent !== ''"
UNKNOWN = "This passkey is not registered here: it may have been deleted. Use another way in."


@dataclass
class Browser:
    page: Page
    cdp: CDPSession
    authenticator: str
    base: str
    errors: list[str] = field(default_factory=list)

    def credentials(self) -> list[dict[str, Any]]:
        found = self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.authenticator})
        credentials: list[dict[str, Any]] = found["credentials"]
        return credentials

    def signals(self) -> list[list[Any]]:
        recorded: list[list[Any]] = self.page.evaluate("window.signals || []")
        return recorded


def open_browser(base: str, init_script: str) -> Iterator[Browser]:
    with chromium(javascript=True) as page:
        page.context.add_init_script(init_script)
        cdp, authenticator = virtual_authenticator(page)
        browser = Browser(page, cdp, authenticator, base)
        page.on("pageerror", lambda error: browser.errors.append(str(error)))
        page.on(
            "console",
            lambda message: browser.errors.extend(script_error(message.type, message.text)),
        )
        yield browser


def script_error(kind: str, text: str) -> list[str]:
    """A console error of the pages' scripts (or their CSP); the browser's own line for a
    refused request (the sign-in's 401) is not one."""
    return [text] if kind == "error" and not text.startswith("Failed to load resource") else []


@pytest.fixture
def localhost(gunicorn_url: str) -> str:
    return gunicorn_url.replace("127.0.0.1", "localhost")


@pytest.fixture
def browser(localhost: str, firestore: Any) -> Iterator[Browser]:
    yield from open_browser(localhost, RECORD_SIGNALS)


@pytest.fixture
def plain_browser(localhost: str, firestore: Any) -> Iterator[Browser]:
    yield from open_browser(localhost, NO_SIGNALS)


def b64url(standard: str) -> str:
    """CDP's base64 of a binary value as WebAuthn's JSON writes it: unpadded base64url."""
    return base64.urlsafe_b64encode(base64.b64decode(standard)).rstrip(b"=").decode()


def sign_up(browser: Browser) -> str:
    page, base = browser.page, browser.base
    name = "s" + uuid.uuid4().hex[:10]
    page.goto(base + "/sign-up")
    fill(page, username=name, email=f"{name}@example.com", password=PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(base + "/account")
    return name


def add_passkey(browser: Browser, passkey_name: str) -> None:
    page, base = browser.page, browser.base
    page.goto(base + "/account/security")
    page.get_by_label("Name for a new passkey (optional)").fill(passkey_name)
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_url(base + "/account/security?done=passkey-added")


def delete_passkey(browser: Browser, passkey_name: str) -> None:
    page, base = browser.page, browser.base
    page.goto(base + "/account/security")
    page.get_by_role("button", name=f"Delete “{passkey_name}”").click()
    page.wait_for_url(base + "/account/security?done=passkey-deleted")
    assert page.get_by_role("status").inner_text() == "The passkey is deleted."


def test_a_deleted_passkey_is_signalled_then_its_sign_in_says_it_is_unknown(
    browser: Browser,
) -> None:
    page, base = browser.page, browser.base
    sign_up(browser)
    add_passkey(browser, "Laptop")
    assert browser.signals() == []  # adding one signals nothing
    [credential] = browser.credentials()
    delete_passkey(browser, "Laptop")
    page.wait_for_function("() => window.signals.length > 0")
    assert browser.signals() == [
        [
            "signalAllAcceptedCredentials",
            {
                "rpId": "localhost",
                "userId": b64url(credential["userHandle"]),
                "allAcceptedCredentialIds": [],  # the account has none left
            },
        ]
    ]
    page.reload()  # the confirmation's page again: the account's state, told again
    page.wait_for_function("() => window.signals.length > 0")
    assert [name for name, _ in browser.signals()] == ["signalAllAcceptedCredentials"]

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(base + "/sign-in")
    page.get_by_role("button", name="Sign in with a passkey").click()
    message = page.locator("#passkey-sign-in-message")
    page.wait_for_function(MESSAGE_SHOWN)
    page.wait_for_function("() => window.signals.length > 0")
    # Chromium's virtual authenticator also answers the autofill's conditional request the
    # page starts again after the button's attempt (a person would pick the passkey first):
    # each attempt with the unknown passkey tells the manager so, and nothing else.
    told = browser.signals()
    assert told and all(
        call
        == [
            "signalUnknownCredential",
            {"rpId": "localhost", "credentialId": b64url(credential["credentialId"])},
        ]
        for call in told
    )
    assert message.inner_text() == UNKNOWN
    assert page.url == base + "/sign-in"  # not signed in
    assert browser.errors == []


def test_the_remaining_passkeys_and_the_new_names_are_signalled(browser: Browser) -> None:
    page, base = browser.page, browser.base
    sign_up(browser)
    add_passkey(browser, "Old key")
    [old] = browser.credentials()
    # The authenticator forgets it, so that it makes the account's second passkey.
    browser.cdp.send(
        "WebAuthn.removeCredential",
        {"authenticatorId": browser.authenticator, "credentialId": old["credentialId"]},
    )
    add_passkey(browser, "New key")
    [new] = browser.credentials()
    handle = b64url(new["userHandle"])
    assert handle == b64url(old["userHandle"])

    delete_passkey(browser, "Old key")
    page.wait_for_function("() => window.signals.length > 0")
    assert browser.signals() == [
        [
            "signalAllAcceptedCredentials",
            {
                "rpId": "localhost",
                "userId": handle,
                "allAcceptedCredentialIds": [b64url(new["credentialId"])],
            },
        ]
    ]
    page.goto(base + "/account/security?done=passkey-renamed")
    assert browser.signals() == []  # another confirmation signals nothing

    renamed = "r" + uuid.uuid4().hex[:10]
    page.goto(base + "/account")
    assert browser.signals() == []
    fill(page, username=renamed, name="Ada", last_name="Lovelace")
    page.get_by_role("button", name="Save profile").click()
    page.wait_for_url(base + "/account?done=profile")
    page.wait_for_function("() => window.signals.length > 0")
    assert browser.signals() == [
        [
            "signalCurrentUserDetails",
            {"rpId": "localhost", "userId": handle, "name": renamed, "displayName": renamed},
        ]
    ]
    assert browser.errors == []


def test_a_browser_without_the_signal_api_is_not_told_and_shows_no_error(
    plain_browser: Browser,
) -> None:
    browser = plain_browser
    page, base = browser.page, browser.base
    sign_up(browser)
    add_passkey(browser, "Laptop")
    assert page.evaluate("typeof PublicKeyCredential.signalAllAcceptedCredentials") == ("undefined")
    delete_passkey(browser, "Laptop")
    page.goto(base + "/account")
    fill(page, name="Ada")
    page.get_by_role("button", name="Save profile").click()
    page.wait_for_url(base + "/account?done=profile")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(base + "/sign-in")
    page.get_by_role("button", name="Sign in with a passkey").click()
    message = page.locator("#passkey-sign-in-message")
    page.wait_for_function(MESSAGE_SHOWN)
    assert message.inner_text() == UNKNOWN
    assert browser.errors == []
