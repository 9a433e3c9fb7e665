"""The automatic passkey upgrade's page half in a real browser: Debian's Chromium with its
virtual authenticator, on gunicorn and the emulators (docs/passkeys-upgraded.md).

This Chromium says ``conditionalCreate`` in getClientCapabilities(), but makes no passkey by
itself for the virtual authenticator (a conditional create() waits, then times out with
NotAllowedError: only a password manager answers one), so the whole upgrade is not
driven here: the server half is tested alone (tests/e2e/test_passkey_upgrade_emulator.py,
docs/decisions/0915-the-upgrade-tested-in-halves.md). What is: the page after a password
sign-in loads the script under the pages' CSP with no violation and no console error, the
script asks for conditional options and calls create() with them, saying nothing, and a
passkey is still added by the security page's button after it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from playwright.sync_api import CDPSession, ConsoleMessage, Page, Request

from tests.support.api import PASSWORD
from tests.support.browser import chromium, fill, virtual_authenticator

pytestmark = pytest.mark.e2e
SCRIPT = "/static/pages/passkey-upgrade.js"
# Records each navigator.credentials.create() of the page's scripts (its mediation, or
# "modal") and how it was answered ("credential" or the error's name), and every CSP
# violation the page reports.
RECORD = """
(() => {
  window.creates = [];
  window.violations = [];
  document.addEventListener("securitypolicyviolation", (event) => {
    window.violations.push(event.violatedDirective + " " + event.blockedURI);
  });
  const create = navigator.credentials.create.bind(navigator.credentials);
  navigator.credentials.create = (options) => {
    const made = { mediation: (options && options.mediation) || "modal", answer: null };
    window.creates.push(made);
    const answer = create(options);
    answer.then(
      () => { made.answer = "credential"; },
      (error) => { made.answer = error.name; },
    );
    return answer;
  };
})();
"""


@dataclass
class Browser:
    page: Page
    cdp: CDPSession
    authenticator: str
    base: str
    console: list[str] = field(default_factory=list)
    posts: list[tuple[str, str]] = field(default_factory=list)

    def credentials(self) -> list[dict[str, Any]]:
        found = self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.authenticator})
        credentials: list[dict[str, Any]] = found["credentials"]
        return credentials


@pytest.fixture
def browser(gunicorn_url: str, firestore: Any) -> Iterator[Browser]:
    base = gunicorn_url.replace("127.0.0.1", "localhost")  # WebAuthn refuses IP addresses
    with chromium(javascript=True) as page:
        page.context.add_init_script(RECORD)
        cdp, authenticator = virtual_authenticator(page)
        found = Browser(page, cdp, authenticator, base)

        def said(message: ConsoleMessage) -> None:
            if message.type in ("error", "warning"):
                found.console.append(message.text)

        def posted(request: Request) -> None:
            if request.method == "POST":
                found.posts.append((request.url.removeprefix(base), request.post_data or ""))

        page.on("console", said)
        page.on("pageerror", lambda error: found.console.append(str(error)))
        page.on("request", posted)
        yield found


def asked(page: Page) -> None:
    """Until the page's scripts have called create() (polled from here: the pages' CSP
    forbids the eval that Playwright's wait_for_function uses)."""
    for _ in range(300):
        if page.evaluate("() => window.creates.length > 0"):
            return
        page.wait_for_timeout(100)
    raise AssertionError("no create()")


def signed_in_by_password(browser: Browser) -> str:
    """A new account (made through the API), signed in on /sign-in by its password."""
    page, base = browser.page, browser.base
    name = "u" + uuid.uuid4().hex[:10]
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    assert requests.post(base + "/register", json=body, timeout=30).status_code == 201
    page.goto(base + "/sign-in")
    fill(page, username=name, password=PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(base + "/account")
    return name


def test_the_page_after_a_password_sign_in_tries_the_upgrade_silently(
    browser: Browser,
) -> None:
    page = browser.page
    signed_in_by_password(browser)
    assert page.locator(f'script[src="{SCRIPT}"]').count() == 1
    assert page.evaluate(
        "async () => (await PublicKeyCredential.getClientCapabilities()).conditionalCreate"
    )
    # The script asked for conditional options, then handed them to create() as such.
    asked(page)
    [made] = page.evaluate("window.creates")
    assert made["mediation"] == "conditional"
    assert ("/account/passkeys/options", '{"mediation":"conditional"}') in browser.posts
    # This Chromium makes no passkey by itself for the virtual authenticator (the request
    # waits for a password manager), and the page says nothing of it.
    assert made["answer"] != "credential"
    assert browser.credentials() == []
    assert "/account/passkeys" not in [path for path, _ in browser.posts]
    assert page.evaluate("window.violations") == []
    assert browser.console == []
    assert page.locator("[role=alert]").count() == 0


def test_after_the_upgrade_is_offered_a_passkey_is_still_added_by_its_button(
    browser: Browser,
) -> None:
    page, base = browser.page, browser.base
    signed_in_by_password(browser)
    asked(page)
    page.get_by_role("link", name="Sign-in and security").click()
    page.wait_for_url(base + "/account/security")
    # The security page offers passkeys itself: the upgrade's script, included there too,
    # leaves the browser's one request to its button.
    assert page.locator(f'script[src="{SCRIPT}"]').count() == 1
    page.get_by_role("button", name="Add a passkey").wait_for()
    assert page.evaluate("() => window.creates") == []
    page.get_by_role("button", name="Add a passkey").click()
    page.get_by_role("status").wait_for()
    assert page.get_by_role("status").inner_text() == "The passkey is added."
    assert len(browser.credentials()) == 1
    # With a passkey, the pages offer no upgrade.
    page.goto(base + "/account")
    assert page.locator(f'script[src="{SCRIPT}"]').count() == 0
    assert page.evaluate("window.violations") == []
    assert browser.console == []
