"""The sign-in pages when the password was not the last word, in Chromium on gunicorn and the
emulators, in English and Spanish, each state at 375 and 1280 px with axe-core
(docs/pages.md, "Signing in to an app"):

- step-up: an app asks ``acr_values`` for a second factor of a browser signed in with a
  password; the sign-in page and its second step say which app asks, with the username
  filled in, and after the code the app gets its answer;
- a ``before_sign_in`` hook denies a right password: the page shows the hook's words, keeps
  the username, and asks for no password again."""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import pyotp
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from playwright.sync_api import Page, Route

from application.hooks.admin import AuthHookRef, SetAuthHook
from application.hooks.services import HookServices
from bootstrap import build_adapters
from tests.support.api import PASSWORD, services
from tests.support.app import app_on
from tests.support.browser import chromium, fill, phone_checked, signed_up
from tests.support.hook_receiver import hook_receiver
from tests.support.served_oauth import CALLBACK_PORT, REDIRECT, account, served_provider
from tests.support.servers import cli, serving
from tests.support.settings import make_settings
from tests.support.webhooks import ADMIN

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
MFA = "urn:firegate:acr:mfa"
APP = "Ledger"
WIDTHS = (375, 1280)
WORDS = {
    "en-US": {
        "create": "Create account",
        "asks": f"{APP} asks you to confirm with your second factor or a passkey.",
        "denied": "This sign-in was refused. The service says: “Not from this network.”",
        "again": "Type the password again",
    },
    "es-ES": {
        "create": "Crear cuenta",
        "asks": f"{APP} te pide que confirmes con tu segundo factor o una llave de acceso.",
        "denied": "Se ha rechazado este inicio de sesión. El servicio dice: "
        "«Not from this network.»",
        "again": "Vuelve a escribir la contraseña",
    },
}


@pytest.fixture(scope="module")
def provider(emulators: Any) -> Iterator[str]:
    with served_provider("gunicorn-step-up.log") as found:
        yield found


def at_each_width(page: Page) -> None:
    """The page as a phone and a desktop show it: no sideways scrolling, nothing serious for
    axe."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        phone_checked(page)


def with_authenticator(page: Page, base: str) -> str:
    """An authenticator set up by the signed-in browser (its forms, posted with the page's
    CSRF token), whose password sign-in goes on: its secret."""
    page.goto(base + "/account/security")
    token = page.locator("meta[name=csrf-token]").get_attribute("content") or ""
    started = page.request.post(
        base + "/account/totp", form={"password": PASSWORD, "csrf_token": token}
    )
    shown = re.search(r'id="totp-secret">([A-Z2-7]+)<', started.text())
    assert started.status == 200 and shown is not None, started.text()
    secret = shown.group(1)
    confirmed = page.request.post(
        base + "/account/totp/confirm",
        form={"code": pyotp.TOTP(secret).now(), "csrf_token": token},
    )
    assert confirmed.status == 200, confirmed.text()
    return secret


def asking_for_mfa(client_id: str, base: str) -> str:
    verifier = secrets.token_urlsafe(48)
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid profile",
        "state": "st4te",
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
        "acr_values": MFA,
    }
    return f"{base}/oauth/authorize?{urlencode(query)}"


def notice(page: Page) -> str:
    return page.locator("main p.notice[role=status]").inner_text().strip()


@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_a_step_up_says_which_app_asks_and_fills_in_the_username(
    provider: str, locale: str
) -> None:
    words = WORDS[locale]
    created = cli(["clients", "create", "--name", APP, "--redirect-uri", REDIRECT])
    client_id = json.loads(created.strip().splitlines()[-1])["client_id"]
    caught: list[str] = []

    def callback(route: Route) -> None:
        caught.append(route.request.url)
        route.fulfill(status=200, body="ok")

    with chromium(javascript=True, locale=locale) as page:
        page.route(f"http://127.0.0.1:{CALLBACK_PORT}/**", callback)
        name = signed_up(page, provider, "s", button=words["create"])
        secret = with_authenticator(page, provider)
        page.goto(asking_for_mfa(client_id, provider))
        assert urlsplit(page.url).path == "/sign-in", page.url
        assert notice(page) == words["asks"]
        assert page.locator("#username").input_value() == name
        at_each_width(page)

        page.fill("#password", PASSWORD)
        page.locator("form[action^='/sign-in?'] button[type=submit]").click()
        page.wait_for_url("**/sign-in/mfa?**")
        assert notice(page) == words["asks"]
        at_each_width(page)

        fill(page, code=pyotp.TOTP(secret).at(time.time(), counter_offset=1))
        page.locator("form[action^='/sign-in/mfa'] button[type=submit]").click()
        page.wait_for_selector("button[value=allow]")
        page.click("button[value=allow]")
        page.wait_for_url(f"http://127.0.0.1:{CALLBACK_PORT}/**")
        assert caught and "code=" in caught[-1]


def test_a_before_sign_in_deny_keeps_the_username_and_blames_no_password(
    firestore: Any,
) -> None:
    """The hook is set before the server starts (its workers read it then), and removed
    after, so that no other test of this emulator meets it; the same server serves both
    languages."""
    settings = make_settings(app_profile="local")
    hooks = services(app_on(settings, build_adapters(settings, firestore=firestore))).of(
        HookServices
    )
    with hook_receiver("/sign-in") as receiver:
        receiver.answer = lambda payload: {"decision": "deny", "message": "Not from this network."}
        created = hooks.hooks.set(SetAuthHook(ADMIN, "before_sign_in", receiver.url))
        receiver.secret = created.secret
        try:
            with serving("gunicorn-before-sign-in-page.log") as base:
                name = account(base)
                for locale, words in WORDS.items():
                    denied_on_the_page(base, name, locale, words)
        finally:
            hooks.hooks.remove(AuthHookRef(ADMIN, created.hook.hook_id))
    assert receiver.refused == [] and len(receiver.received) == 2


def denied_on_the_page(base: str, name: str, locale: str, words: dict[str, str]) -> None:
    with chromium(javascript=True, locale=locale) as page:
        page.goto(base + "/sign-in")
        fill(page, username=name, password=PASSWORD)
        page.locator("form[action^='/sign-in?'] button[type=submit]").click()
        alert = page.locator("main > p.error[role=alert]")
        assert alert.inner_text() == words["denied"]
        assert page.locator("#username").input_value() == name
        assert words["again"] not in page.inner_text("main")
        assert page.locator("#password").get_attribute("aria-describedby") is None
        at_each_width(page)
        page.goto(base + "/account")  # no session was made
        assert urlsplit(page.url).path == "/sign-in", page.url
