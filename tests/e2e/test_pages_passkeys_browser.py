"""Passkeys on the pages in a real browser: Debian's Chromium with its virtual authenticator
(the DevTools protocol's WebAuthn domain), on gunicorn and the emulators (docs/pages.md).

The pages are opened on ``localhost``: browsers refuse WebAuthn on an IP-address origin, and
the local profile's passkey origin is ``http://localhost:$PORT``
(docs/decisions/0121-passkey-configuration.md).

Chromium's virtual authenticator answers a conditional (autofill) request at once with the
passkey it holds: no autofill list is shown headless, so what the tests drive is the
script's conditional request and what follows it, not a person picking the passkey in the
list."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import CDPSession, Page, Route

from tests.support.api import PASSWORD
from tests.support.browser import (
    chromium,
    fill,
    phone_checked,
    shoot,
    signed_up,
    violations,
    virtual_authenticator,
)
from tests.support.servers import serving

pytestmark = pytest.mark.e2e
# Records each navigator.credentials.get() of the page's script: "conditional" or "modal";
# window.getAnswers holds how those of this page were answered ("credential" or the error's
# name).
RECORD_GETS = """
(() => {
  const get = navigator.credentials.get.bind(navigator.credentials);
  window.getAnswers = [];
  navigator.credentials.get = (options) => {
    window.recordGet((options && options.mediation) || "modal");
    const answer = get(options);
    answer.then(
      () => window.getAnswers.push("credential"),
      (error) => window.getAnswers.push(error.name),
    );
    return answer;
  };
})();
"""
# A browser without passkey autofill: the script offers the button only.
NO_AUTOFILL = "PublicKeyCredential.isConditionalMediationAvailable = async () => false;"


@dataclass
class Browser:
    page: Page
    cdp: CDPSession
    authenticator: str
    base: str
    gets: list[str] = field(default_factory=list)

    def credentials(self) -> list[dict[str, Any]]:
        found = self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.authenticator})
        credentials: list[dict[str, Any]] = found["credentials"]
        return credentials


def open_browser(base: str, *, autofill: bool, locale: str = "en-US") -> Iterator[Browser]:
    with chromium(javascript=True, locale=locale) as page:
        gets: list[str] = []

        def record_get(mediation: str) -> None:
            gets.append(mediation)

        page.context.expose_function("recordGet", record_get)
        page.context.add_init_script(RECORD_GETS)
        if not autofill:
            page.context.add_init_script(NO_AUTOFILL)
        cdp, authenticator = virtual_authenticator(page)
        yield Browser(page, cdp, authenticator, base, gets)


@pytest.fixture
def localhost(gunicorn_url: str) -> str:
    return gunicorn_url.replace("127.0.0.1", "localhost")


@pytest.fixture
def browser(localhost: str, firestore: Any) -> Iterator[Browser]:
    """A browser without passkey autofill, so that only the button signs in."""
    yield from open_browser(localhost, autofill=False)


@pytest.fixture
def autofill_browser(localhost: str, firestore: Any) -> Iterator[Browser]:
    yield from open_browser(localhost, autofill=True)


def sign_up(browser: Browser) -> str:
    """A new account, signed in on its page: its username."""
    page, base = browser.page, browser.base
    name = "p" + uuid.uuid4().hex[:10]
    page.goto(base + "/sign-up")
    fill(page, username=name, email=f"{name}@example.com", password=PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(base + "/account")
    return name


def sign_up_and_add_a_passkey(browser: Browser, passkey_name: str) -> str:
    page, base = browser.page, browser.base
    name = sign_up(browser)
    page.get_by_role("link", name="Sign-in and security").click()
    page.wait_for_url(base + "/account/security")
    assert "No passkeys yet" in page.inner_text("main")
    page.get_by_label("Name for a new passkey (optional)").fill(passkey_name)
    page.get_by_role("button", name="Add a passkey").click()
    page.get_by_text(passkey_name, exact=True).wait_for()  # the page, loaded again with it
    assert page.get_by_role("status").inner_text() == "The passkey is added."
    [credential] = browser.credentials()
    assert credential["isResidentCredential"] and credential["rpId"] == "localhost"
    return name


def test_add_a_passkey_then_sign_in_with_the_button(browser: Browser) -> None:
    page, base = browser.page, browser.base
    name = sign_up_and_add_a_passkey(browser, "This laptop")
    main = page.inner_text("main")
    assert "Last used" in main and "Never" in main
    found = {"/account/security (a passkey listed)": violations(page)}
    shoot(page, "account")
    # Rename it with the page's form.
    page.get_by_label("New name for “This laptop”").fill("Work laptop")
    page.get_by_role("button", name="Rename").click()
    page.get_by_text("Work laptop", exact=True).wait_for()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(base + "/sign-in")
    button = page.get_by_role("button", name="Sign in with a passkey")
    button.wait_for()  # shown by the script
    found["/sign-in (the script running)"] = violations(page)
    button.click()
    page.wait_for_url(base + "/account")
    assert name in page.inner_text("main")
    assert browser.gets == ["modal"]
    assert browser.credentials()[0]["signCount"] >= 1
    page.goto(base + "/account/security")
    assert "Never" not in page.inner_text("main")  # its last use is shown
    assert found == {path: [] for path in found}


def test_the_username_fields_passkey_autofill_signs_in(autofill_browser: Browser) -> None:
    browser = autofill_browser
    page, base = browser.page, browser.base
    name = sign_up_and_add_a_passkey(browser, "Phone")
    assert browser.gets == []
    page.get_by_role("button", name="Sign out").click()
    # /sign-in offers the passkey in the username field's autofill; the virtual authenticator
    # picks it at once, and the browser is signed in without a click, to ?next=.
    page.wait_for_url(base + "/account")
    assert name in page.inner_text("main")
    assert browser.gets == ["conditional"]
    page.goto(base + "/sign-in?next=/account%3Fagain%3D1")
    page.wait_for_url(base + "/account?again=1")


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("en-US", ("Sign in", "Create account", "Sign out")),
        ("es-ES", ("Iniciar sesión", "Crear cuenta", "Cerrar sesión")),
    ],
)
def test_the_password_form_signs_in_beside_the_autofill(
    localhost: str, firestore: Any, locale: str, words: tuple[str, str, str]
) -> None:
    """A browser that holds no passkey of this site: the page starts the conditional request,
    and the password form signs in beside it, at 375 px. Headless, Chromium's virtual
    authenticator refuses such a request at once (NotAllowedError) where a person's browser
    would wait; the page then shows no error and the form is as it was."""
    sign_in, create, sign_out = words
    for browser in open_browser(localhost, autofill=True, locale=locale):
        page, base = browser.page, browser.base
        page.set_viewport_size({"width": 375, "height": 800})
        name = signed_up(page, base, button=create)
        page.get_by_role("button", name=sign_out).click()
        page.wait_for_url(base + "/sign-in")
        page.wait_for_function("() => window.getAnswers.length === 1")
        assert browser.gets == ["conditional"]
        assert page.evaluate("window.getAnswers") == ["NotAllowedError"]
        assert page.locator("#passkey-sign-in-message").inner_text() == ""
        assert page.locator("input[name=username]").get_attribute("autocomplete") == (
            "username webauthn"
        )
        phone_checked(page)
        fill(page, username=name, password=PASSWORD)
        page.get_by_role("button", name=sign_in, exact=True).click()
        page.wait_for_url(base + "/account")
        assert name in page.inner_text("main")
        assert browser.gets == ["conditional"] and browser.credentials() == []


def test_without_javascript_sign_in_shows_no_passkey_button(localhost: str) -> None:
    with chromium(javascript=False) as page:
        page.goto(localhost + "/sign-in")
        assert page.get_by_role("button", name="Sign in", exact=True).is_visible()
        assert page.get_by_role("button", name="Sign in with a passkey").count() == 0
        username = page.locator("input[name=username]")
        assert username.get_attribute("autocomplete") == "username webauthn"


def test_an_address_without_passkeys_says_where_they_work(
    gunicorn_url: str, localhost: str, firestore: Any
) -> None:
    """The local profile's passkeys work on http://localhost:$PORT only: the same pages on
    http://127.0.0.1:$PORT offer no passkey button and say where to go instead."""
    elsewhere = f"Passkeys work on {localhost}: open this page there."
    with chromium(javascript=True) as page:
        page.goto(gunicorn_url + "/sign-in?next=/account")
        note = page.locator("#passkeys-elsewhere")
        assert note.is_visible() and note.inner_text() == elsewhere
        assert page.get_by_role("button", name="Sign in with a passkey").count() == 0
        found = {"/sign-in on 127.0.0.1": violations(page)}
        page.get_by_role("link", name=localhost).click()
        page.wait_for_url(localhost + "/sign-in?next=%2Faccount")
        page.get_by_role("button", name="Sign in with a passkey").wait_for()  # offered there
        assert not page.locator("#passkeys-elsewhere").is_visible()

        name = "p" + uuid.uuid4().hex[:10]
        page.goto(gunicorn_url + "/sign-up")
        fill(page, username=name, email=f"{name}@example.com", password=PASSWORD)
        page.get_by_role("button", name="Create account").click()
        page.wait_for_url(gunicorn_url + "/account")
        page.goto(gunicorn_url + "/account/security")
        assert page.locator("#passkeys-elsewhere").inner_text() == elsewhere
        assert page.get_by_role("button", name="Add a passkey").count() == 0
        found["/account/security on 127.0.0.1"] = violations(page)
        page.get_by_role("link", name=localhost).click()
        page.wait_for_url(
            localhost + "/sign-in?next=%2Faccount%2Fsecurity"
        )  # signed in on the other
    assert found == {path: [] for path in found}


def test_the_browser_knows_its_address_when_a_proxy_hides_it(
    gunicorn_url: str, localhost: str, firestore: Any
) -> None:
    """A proxy that sends the service another ``Host`` than the browser's: the page comes
    with the note, and the script, on the passkeys' address, offers the button instead."""
    with chromium(javascript=True) as page:

        def through_a_proxy(route: Route) -> None:
            answer = route.fetch(url=gunicorn_url + "/sign-in")  # Host: 127.0.0.1:$PORT
            assert 'id="passkeys-elsewhere">' in answer.text()  # not hidden by the server
            route.fulfill(response=answer)

        page.route(localhost + "/sign-in", through_a_proxy)
        page.goto(localhost + "/sign-in")
        page.get_by_role("button", name="Sign in with a passkey").wait_for()
        assert not page.locator("#passkeys-elsewhere").is_visible()


def test_a_browser_without_passkeys_is_told_so(localhost: str, firestore: Any) -> None:
    with chromium(javascript=True) as page:
        page.context.add_init_script("delete window.PublicKeyCredential;")
        page.goto(localhost + "/sign-in")
        note = page.get_by_text("Your browser cannot use passkeys on this page.")
        note.wait_for()
        assert page.get_by_role("button", name="Sign in with a passkey").count() == 0
        assert not page.locator("#passkeys-elsewhere").is_visible()
        assert violations(page) == []


def test_an_old_session_signs_in_again_then_adds_its_passkey(firestore: Any) -> None:
    """A browser signed in longer ago than REAUTH_MAX_AGE (10 s here) is sent by the page's
    script to sign in again, with its username filled in, and comes back to add the passkey
    (docs/security.md, "A new way in"). The age leaves a loaded machine time to come back
    and click before the new sign-in is old in its turn."""
    with serving("gunicorn-reauth.log", REAUTH_MAX_AGE="10") as url:
        for browser in open_browser(url.replace("127.0.0.1", "localhost"), autofill=False):
            page, base = browser.page, browser.base
            name = sign_up(browser)
            page.goto(base + "/account/security")
            time.sleep(11)  # the sign-in is now older than REAUTH_MAX_AGE
            page.get_by_role("button", name="Add a passkey").click()
            page.wait_for_url(re.compile(r".*/sign-in\?again=1.*"))
            assert "Sign in again to continue." in page.inner_text("main")
            assert page.input_value("input[name=username]") == name
            assert browser.credentials() == []  # nothing was added
            fill(page, password=PASSWORD)
            page.get_by_role("button", name="Sign in", exact=True).click()
            page.wait_for_url(base + "/account/security")
            page.get_by_role("button", name="Add a passkey").click()
            page.wait_for_url(base + "/account/security?done=passkey-added")
            assert len(browser.credentials()) == 1
