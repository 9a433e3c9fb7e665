"""A refused sign-up as a person sees it, in Chromium with axe, in English and Spanish
(docs/security.md, "Who may sign up"): gunicorn on the emulators with a blocked domain, the
/sign-up page, and a first sign-in through an upstream provider (panva's oidc-provider, npm,
tests/upstream_provider.mjs) that would make an account."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.support.api import PASSWORD
from tests.support.browser import chromium, fill, violations
from tests.support.oidc_provider import CLIENT_ID, CLIENT_SECRET, oidc_provider, upstream_sign_in
from tests.support.servers import free_port, serving

pytestmark = pytest.mark.e2e
BLOCKED = "blocked.example"
WORDS = {
    "en-US": ("Create account", "Continue with Test OP", "New accounts cannot be made"),
    "es-ES": ("Crear cuenta", "Continuar con Test OP", "Aquí no se pueden crear cuentas nuevas"),
}


@pytest.fixture(scope="module")
def firegate(emulators: Any) -> Iterator[str]:
    port = free_port()
    callback = f"http://127.0.0.1:{port}/sign-in/with/oidc/callback"
    with oidc_provider(callback) as issuer:
        provider = {
            "id": "oidc",
            "issuer": issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "name": "Test OP",
        }
        with serving(
            "gunicorn-signups.log",
            PORT=str(port),
            PUBLIC_URL=f"http://127.0.0.1:{port}",
            UPSTREAM_PROVIDERS=json.dumps([provider]),
            SIGNUP_DOMAINS_BLOCK=BLOCKED,
        ) as url:
            yield url


def refusal_shown(page: Page, words: str) -> None:
    assert words in page.content()
    assert violations(page) == []


@pytest.mark.parametrize("locale", list(WORDS))
def test_the_sign_up_page_and_an_upstream_first_sign_in_show_the_refusal(
    firegate: str, locale: str
) -> None:
    create, continue_with, refused = WORDS[locale]
    with chromium(javascript=True, locale=locale) as page:
        name = "b" + uuid.uuid4().hex[:10]
        page.goto(firegate + "/sign-up")
        fill(page, username=name, email=f"{name}@{BLOCKED}", password=PASSWORD)
        page.get_by_role("button", name=create).click()
        page.wait_for_load_state()
        refusal_shown(page, refused)
        # What was typed stays, but the password.
        assert page.input_value("input[name=username]") == name
        assert page.input_value("input[name=password]") == ""
        page.goto(firegate + "/sign-in")
        page.get_by_text(continue_with).click()
        upstream_sign_in(page, f"{name}@{BLOCKED}")
        page.wait_for_url("**/sign-in/with/oidc/callback**")
        refusal_shown(page, refused)
        assert "firegate_session" not in {c["name"] for c in page.context.cookies()}
