"""Personal access tokens on /account/apps in Chromium, on gunicorn and the emulators, in
English and Spanish: made, seen once, used by the API, revoked; axe-core finds no serious
violation in any of those states (docs/reference/tokens.md)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests
from playwright.sync_api import Page

from tests.support.api import PASSWORD
from tests.support.browser import chromium, fill, violations

pytestmark = pytest.mark.e2e


def _signed_up(page: Page, base: str) -> None:
    name = "t" + uuid.uuid4().hex[:10]
    page.goto(base + "/sign-up")
    fill(page, username=name, email=f"{name}@example.com", password=PASSWORD)
    page.locator("form[action='/sign-up'] button[type=submit]").click()
    page.wait_for_url(base + "/account")


def _round(page: Page, base: str, words: dict[str, str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    _signed_up(page, base)
    page.goto(base + "/account/apps")
    assert words["heading"] in page.content()
    found["no token"] = violations(page)
    page.fill("#token-create-name", "nightly backup")
    page.select_option("#token-create-scope", "read")
    page.locator("form[action='/account/tokens'] button[type=submit]").click()
    token = page.locator("#new-token").inner_text().strip()
    assert token.startswith("fgp_") and words["once"] in page.content()
    found["the new token, once"] = violations(page)
    whoami = requests.get(
        base + "/auth/whoami", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert whoami.status_code == 200, whoami.text
    page.goto(base + "/account/apps")
    assert token not in page.content() and "nightly backup" in page.content()
    page.locator("form[action='/account/tokens/revoke'] button[type=submit]").click()
    assert words["revoked"] in page.content()
    found["revoked"] = violations(page)
    gone = requests.get(base + "/user", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert gone.status_code == 401
    return found


def test_tokens_on_the_account_page_in_english_and_spanish(
    gunicorn_url: str, firestore: Any
) -> None:
    english = {
        "heading": "Personal access tokens",
        "once": "it is not shown again",
        "revoked": "The token is revoked",
    }
    spanish = {
        "heading": "Tokens de acceso personal",
        "once": "no se vuelve a mostrar",
        "revoked": "El token está revocado",
    }
    with chromium(javascript=True) as page:
        found = _round(page, gunicorn_url, english)
    with chromium(javascript=True, locale="es-ES") as page:
        found |= {f"es: {state}": v for state, v in _round(page, gunicorn_url, spanish).items()}
    assert found == {state: [] for state in found}
