"""A password found breached at sign-in, in a real browser (docs/security.md, "Breached
passwords"): Debian's Chromium on gunicorn and the emulators, against a local range API;
the account page asks for a new password first, in English and Spanish, with no serious or
critical axe finding, and stops asking once one is set."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from bootstrap import build_adapters
from tests.support.api import PASSWORD, register
from tests.support.app import app_on
from tests.support.browser import NEW_PASSWORD, chromium, fill, violations
from tests.support.range_api import range_api
from tests.support.servers import serving
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e

ASKED = {
    "en-US": ("Choose a new password first.", "Change your password", "Change password"),
    "es-ES": (
        "Elige primero una contraseña nueva.",
        "Cambia tu contraseña",
        "Cambiar la contraseña",
    ),
}


@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_the_account_page_asks_for_a_new_password_first(
    firestore: Any, emulators: Any, locale: str
) -> None:
    name = "b" + uuid.uuid4().hex[:10]
    # Made while nobody knew the password breached (the check off).
    settings = make_settings()
    register(app_on(settings, build_adapters(settings, firestore=firestore)).test_client(), name)
    asked, link, button = ASKED[locale]
    with (
        range_api({PASSWORD: 2}) as api,
        serving(
            "gunicorn-breached.log", BREACHED_PASSWORDS="block", BREACHED_PASSWORDS_URL=api.url
        ) as base,
        chromium(javascript=True, locale=locale) as page,  # axe-core runs only where script does
    ):
        page.goto(base + "/sign-in")
        fill(page, username=name, password=PASSWORD)
        page.locator("form[action^='/sign-in?'] button[type=submit]").click()
        page.wait_for_url(base + "/account")
        alert = page.locator("#password-change-required")
        assert asked in alert.inner_text()
        assert violations(page) == []
        alert.get_by_role("link", name=link).click()
        page.wait_for_url("**/account/security*")
        assert violations(page) == []
        fill(page, current_password=PASSWORD, new_password=NEW_PASSWORD)
        page.get_by_role("button", name=button).click()
        # The page the change leads to (the load state alone was the page before's, already
        # loaded: a count of none passed on it)
        page.wait_for_url("**/account/security?done=password")
        assert page.locator("#password-change-required").count() == 0
        assert api.paths  # the sign-in asked the local range API
