"""The pages in Debian's Chromium, driven by Playwright: the browser (one per process, a
context per use), forms, axe-core."""

from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import (
    Browser,
    BrowserContext,
    CDPSession,
    Error,
    Page,
    Playwright,
    sync_playwright,
)

from application.sso.discovery import PRESENCE_TTL
from tests.support.api import PASSWORD
from tests.support.servers import cli

CHROMIUM = Path("/usr/bin/chromium")
INSTALL_HINT = (
    "the browser test needs Debian's Chromium at /usr/bin/chromium: "
    "`apt-get install -y chromium` (.ci/run installs it; docs/testing.md)"
)
TIMEOUT_MS = 30_000
NEW_PASSWORD = "another long passphrase 7"
SERIOUS = {"serious", "critical"}
# `make screenshots` names a folder here: the browser tests then save the pages they pass
# through for the docs (docs/pages.md). Unset, nothing is saved.
SCREENSHOTS = os.environ.get("PAGES_SCREENSHOTS", "")


def shoot(page: Page, name: str) -> None:
    """Save the page as ``name``.png for the docs, when `make screenshots` asks."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 900, "height": 700})
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


@dataclass
class _Shared:
    """The process's one Chromium (docs/testing.md, "The browser tests")."""

    playwright: Playwright | None = None
    browser: Browser | None = None
    # The sync API answers only in the thread that started it, and marks its event loop as
    # running there until it stops: asyncio code runs beside it in a thread of its own
    # (tests/support/event_loops.py).
    thread: int | None = None


_SHARED = _Shared()


def _launched() -> Browser:
    """The process's Chromium, launched on first use, or again once it is gone (a test
    closed it, or it crashed)."""
    if _SHARED.browser is not None and _SHARED.browser.is_connected():
        return _SHARED.browser
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    if _SHARED.playwright is None:
        _SHARED.playwright = sync_playwright().start()
        _SHARED.thread = threading.get_ident()
    _SHARED.browser = _SHARED.playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True
    )
    return _SHARED.browser


def close_browser() -> None:
    """Close the process's Chromium and stop Playwright, if they started (at the session's
    end, tests/conftest.py; or once the browser is found dead)."""
    playwright, browser = _SHARED.playwright, _SHARED.browser
    if playwright is None:
        return
    _SHARED.playwright = _SHARED.browser = None
    try:
        if browser is not None and browser.is_connected():
            browser.close()
    except Error:
        pass  # gone already: stopping Playwright is what is left
    finally:
        playwright.stop()
        _SHARED.thread = None


@contextmanager
def browser_context(**options: Any) -> Iterator[BrowserContext]:
    """A browser context of its own (cookies, storage, permissions, CDP sessions) in the
    process's one Chromium, made with Playwright's ``new_context`` options; closed after,
    with every other context opened in that browser meanwhile (``own_context``,
    ``another_browser``, a test's ``new_context``)."""
    if _SHARED.thread not in (None, threading.get_ident()):
        pytest.fail("the browser is used only in the thread that started Playwright")
    browser = _launched()
    before = browser.contexts
    try:
        context = browser.new_context(**options)
    except Error:  # the browser, or Playwright's driver, died since: start afresh, once
        close_browser()
        browser = _launched()
        before = browser.contexts
        context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context
    finally:
        for opened in browser.contexts:
            if opened not in before:
                with suppress(Error):  # a browser that crashed meanwhile
                    opened.close()


@contextmanager
def chromium_launched_with(*args: str, **options: Any) -> Iterator[BrowserContext]:
    """A browser context in a Chromium of its own, launched with the command-line ``args``
    (host-resolver rules, a certificate to trust) that the process's one lacks, made with
    Playwright's ``new_context`` ``options``; that Chromium is closed after."""
    _launched()  # Playwright, started in this thread
    playwright = _SHARED.playwright
    assert playwright is not None
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=list(args)
    )
    try:
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        yield context
    finally:
        with suppress(Error):  # a browser that crashed meanwhile
            browser.close()


@contextmanager
def chromium(
    *, javascript: bool, locale: str = "en-US", timezone_id: str | None = None
) -> Iterator[Page]:
    """A page in a browser context of its own (``browser_context``), closed after."""
    with browser_context(
        java_script_enabled=javascript, locale=locale, timezone_id=timezone_id
    ) as context:
        yield context.new_page()


def on_this_server(base: str, link: str) -> str:
    """A mail's link (to PUBLIC_URL) on the server under test."""
    parts = urlsplit(link)
    return f"{base}{parts.path}?{parts.query}"


def violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page (run over CDP, which the page's
    CSP does not govern; JavaScript off affects only the page's own scripts)."""
    results = Axe().run(page)
    assert results.response["testEngine"]["name"] == "axe-core"  # it ran on this page
    return [
        f"{v['id']}: {v['help']}"
        for v in results.response["violations"]
        if v.get("impact") in SERIOUS
    ]


PAGE_WIDTHS = "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"


def phone_checked(page: Page) -> None:
    """The page as a phone shows it (at the width set): no sideways scrolling, nothing
    serious for axe."""
    scroll_width, client_width = page.evaluate(PAGE_WIDTHS)
    assert scroll_width <= client_width, page.url
    assert violations(page) == [], page.url


def fill(page: Page, **fields: str) -> None:
    for name, value in fields.items():
        page.fill(f"input[name={name}]", value)


def set_password_and_sign_in(page: Page, base: str, link: str, login: str) -> None:
    """Follow a mail's set-password link (reset or invitation), choose ``NEW_PASSWORD`` and
    sign in with it as ``login``: the account page."""
    page.goto(on_this_server(base, link))
    fill(page, new_password=NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    page.wait_for_url(base + "/sign-in?reset=1")
    fill(page, username=login, password=NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/account")


def signed_up(page: Page, base: str, prefix: str = "p", *, button: str = "Create account") -> str:
    """A new account, signed in on ``page``: its username (its address at example.com);
    ``button``: the sign-up button's words in the page's language."""
    name = prefix + uuid.uuid4().hex[:10]
    page.goto(base + "/sign-up")
    fill(page, username=name, email=f"{name}@example.com", password=PASSWORD)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(base + "/account")
    return name


def org_created(page: Page, base: str, slug: str, *, button: str = "Create") -> None:
    """A new org ``slug`` made on /account/orgs by the person signed in on ``page``, who is
    then on its page; ``button``: the create button's words in the page's language."""
    page.goto(base + "/account/orgs")
    fill(page, name=slug.title(), slug=slug)
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_url(f"{base}/account/orgs/{slug}?done=org-created")


def another_browser(page: Page) -> Page:
    """A page of its own cookies beside ``page``, as a second person's browser (closed
    with the ``chromium()`` that holds ``page``)."""
    browser = page.context.browser
    assert browser is not None
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


@contextmanager
def own_context(page: Page, *, javascript: bool = True) -> Iterator[Page]:
    """A page in a browser context of its own beside ``page``'s (its own cookies: another
    browser, as far as the service can tell), closed after."""
    browser = page.context.browser
    assert browser is not None
    context = browser.new_context(java_script_enabled=javascript, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="module")
def shared_page() -> Iterator[Page]:
    """A page (JavaScript on) that lasts the module; each test takes a context of its own
    (``page``), and ``own_context`` opens one beside it."""
    with chromium(javascript=True) as found:
        yield found


@pytest.fixture
def page(shared_page: Page) -> Iterator[Page]:
    """A browser context of the test's own in the process's Chromium."""
    with own_context(shared_page) as found:
        yield found


def admin(page: Page, base: str) -> str:
    name = signed_up(page, base, "a")
    cli(["users", "set-role", name, "admin"])
    return name


def address_first(page: Page, url: str) -> None:
    """Open the sign-in page ``url`` once it asks for the address first: a worker that asked
    whether any org has single sign-on before the connection was switched on (a password
    sign-in asks) goes on knowing "none" for up to PRESENCE_TTL."""
    deadline = time.monotonic() + PRESENCE_TTL.total_seconds() + 15
    page.goto(url)
    while not page.locator("form[action^='/sign-in/continue']").count():
        assert time.monotonic() < deadline, "the sign-in page never asked for the address first"
        time.sleep(0.5)
        page.goto(url)


# The DevTools protocol's virtual authenticator: a platform authenticator that keeps
# discoverable passkeys and verifies its user (the passkey tests, docs/testing.md).
AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
}


def virtual_authenticator(page: Page) -> tuple[CDPSession, str]:
    """The page's CDP session, with a virtual authenticator added: the session and its id."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
    return cdp, str(added["authenticatorId"])
