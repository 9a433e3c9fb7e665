"""Sign-ins from a new device in real browsers (docs/pages.md, /account and /not-me): Debian's
Chromium on gunicorn, the emulators and maildev. The account's first sign-in and a browser
with the device cookie send nothing; a fresh browser's sign-in mails a notice in the
account's language, whose "not me" button ends every session (the other browser's on its
next click) and mails a reset; the same from the "This wasn't me" button on /account."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from google.cloud.firestore import FieldFilter
from playwright.sync_api import Page

from tests.support import mailbox
from tests.support.api import PASSWORD
from tests.support.browser import chromium, fill, on_this_server, violations

pytestmark = pytest.mark.e2e
NEW_DEVICE_ES = "Un nuevo inicio de sesión en tu cuenta de firegate"


def verified_account(base: str, locale: str = "es") -> tuple[str, str]:
    """Signed up and verified through the API (which signs nobody in): name, address."""
    name = "d" + uuid.uuid4().hex[:10]
    address = f"{name}@example.com"
    body = {"username": name, "email": address, "password": PASSWORD}
    language = {"Accept-Language": locale}  # the account's language
    made = requests.post(base + "/register", json=body, headers=language, timeout=60)
    assert made.status_code == 201, made.text
    [verify] = mailbox.wait_for(address)
    token = mailbox.token_in(verify)
    proof = requests.post(base + "/auth/email/verify", json={"token": token}, timeout=60)
    assert proof.status_code == 200, proof.text
    return name, address


def sign_in(page: Page, base: str, name: str) -> None:
    page.goto(base + "/sign-in")
    fill(page, username=name, password=PASSWORD)
    page.locator("form[action^='/sign-in'] button[type=submit]").click()
    page.wait_for_url(base + "/account")


def new_device_mails(address: str) -> list[dict[str, Any]]:
    return [m for m in mailbox.to(address) if m["subject"] == NEW_DEVICE_ES]


def new_device_events(firestore: Any) -> int:
    kind = FieldFilter("type", "==", "signin.new_device")
    return len(list(firestore.collection("security_events").where(filter=kind).stream()))


def settled(address: str, count: int) -> list[dict[str, Any]]:
    """The mails to ``address`` once ``count`` arrived and a moment passed for any other."""
    mailbox.wait_for(address, count)
    time.sleep(2)
    return mailbox.to(address)


@contextmanager
def two_browsers() -> Iterator[tuple[Page, Page]]:
    """Two browser contexts that share nothing (cookies included): ``home`` (JavaScript
    off) and ``fresh`` (on, for axe-core)."""
    with chromium(javascript=False) as home, chromium(javascript=True) as fresh:
        yield home, fresh


def test_a_new_browsers_sign_in_is_mailed_and_its_link_ends_every_session(
    gunicorn_url: str, firestore: Any
) -> None:
    base = gunicorn_url
    name, address = verified_account(base)
    with two_browsers() as (home, fresh):
        sign_in(home, base, name)  # the account's first sign-in
        home.locator("form[action='/sign-out'] button").click()
        sign_in(home, base, name)  # again, with the device cookie
        assert new_device_mails(address) == []
        sign_in(fresh, base, name)  # no device cookie: a new device
        mails = settled(address, 2)
        assert [m["subject"] for m in mails][1:] == [NEW_DEVICE_ES], [m["subject"] for m in mails]
        # Both browsers send the same user agent from the same address, so one mail could
        # hide another: the stored events tell that only the fresh browser was new.
        assert new_device_events(firestore) == 1
        [notice] = new_device_mails(address)
        text = notice["text"]
        assert (
            text.startswith(f"Hola, {name}")
            and "Navegador (según se identificó): Chrome (Linux)" in text
        )
        assert "Dirección IP: 127.0.0.1" in text and " UTC" in text
        link = on_this_server(base, mailbox.link_in(notice))
        assert "/not-me?token=" in link and mailbox.link_in(notice) in notice["html"]

        fresh.goto(link)
        assert fresh.locator("form[action='/not-me'] button").count() == 1
        assert violations(fresh) == []
        fresh.locator("form[action='/not-me'] button").click()
        fresh.locator("main [role=status]").wait_for()  # the answer's page, once it is there
        assert fresh.locator("main [role=status]").count() == 1
        # The other browser is signed out at its next click.
        home.goto(base + "/account")
        assert home.url.startswith(base + "/sign-in")
        fresh.goto(base + "/account")
        assert fresh.url.startswith(base + "/sign-in")
    mails = mailbox.wait_for(address, 3)
    assert len([m for m in mails if "/reset-password?token=" in m["text"]]) == 1


def test_the_account_pages_this_wasnt_me_button_ends_every_session(
    gunicorn_url: str, firestore: Any
) -> None:
    base = gunicorn_url
    name, address = verified_account(base, locale="en")
    with two_browsers() as (home, fresh):
        sign_in(home, base, name)
        sign_in(fresh, base, name)
        fresh.goto(base + "/account/activity")
        buttons = fresh.get_by_role("button", name="This wasn't me")
        # Beside the other browser's sign-in only: this one's own two events (signed in,
        # from a new device) are marked as this browser's instead.
        assert buttons.count() == 1
        main = fresh.inner_text("main")
        assert "Signed in from a new device" in main and main.count("This browser") == 2
        assert "Mozilla" not in main and "Chrome on Linux" in main
        assert violations(fresh) == []
        buttons.first.click()
        assert "Every device on your account is signed out" in fresh.inner_text("main")
        assert violations(fresh) == []
        home.goto(base + "/account")
        assert home.url.startswith(base + "/sign-in")
        fresh.goto(base + "/account")
        assert fresh.url.startswith(base + "/sign-in")
    mails = mailbox.wait_for(address, 3)  # verification, new device, reset
    assert len([m for m in mails if "/reset-password?token=" in m["text"]]) == 1
