"""The Apps section of an org's page in Debian's Chromium, on gunicorn and the emulators
(docs/pages.md, "Organizations"): an owner registers an app (its secret shown once, and it
works), changes its redirect URIs, and removes it once confirmed; in English and Spanish,
375 px wide, every step axe-clean without sideways scrolling."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support.browser import chromium, org_created, phone_checked, signed_up
from tests.support.servers import serving

pytestmark = pytest.mark.e2e
PHONE = 375
ENGLISH = {
    "sign_up": "Create account",
    "create": "Create",
    "section": "Apps",
    "register": "Register the app",
    "save": "Save",
    "saved": "The app is saved.",
    "remove": "Remove",
    "remove_it": "Remove the app",
    "removed": "The app is removed: its tokens no longer work.",
    "none": "No apps yet.",
}
SPANISH = {
    "sign_up": "Crear cuenta",
    "create": "Crear",
    "section": "Aplicaciones",
    "register": "Registrar la aplicación",
    "save": "Guardar",
    "saved": "La aplicación está guardada.",
    "remove": "Quitar",
    "remove_it": "Quitar la aplicación",
    "removed": "La aplicación está quitada: sus tokens ya no funcionan.",
    "none": "Todavía no hay aplicaciones.",
}


@pytest.fixture(scope="module")
def base(emulators: Any) -> Iterator[str]:
    with serving("gunicorn-org-apps-pages.log") as url:
        yield url


@pytest.mark.parametrize(("locale", "words"), [("en-US", ENGLISH), ("es-ES", SPANISH)])
def test_an_owner_registers_edits_and_removes_an_app(
    base: str, locale: str, words: dict[str, str]
) -> None:
    with chromium(javascript=True, locale=locale) as page:
        page.set_viewport_size({"width": PHONE, "height": 667})
        slug = signed_up(page, base, "a", button=words["sign_up"]) + "-org"
        apps = f"{base}/account/orgs/{slug}/apps"
        org_created(page, base, slug, button=words["create"])
        page.get_by_role("link", name=words["section"], exact=True).click()
        page.wait_for_url(apps)
        assert words["none"] in page.inner_text("main")
        phone_checked(page)

        page.fill("#app-name", "Billing")
        page.fill("#app-redirect_uris", "https://billing.example/cb")
        page.check("#app-confidential")
        assert page.is_checked("#app-members_only")  # for the org's members by default
        page.get_by_role("button", name=words["register"]).click()
        secret = page.input_value("#new-client-secret")
        client_id = page.input_value("#new-client-id")
        assert len(secret) >= 40
        phone_checked(page)
        own = requests.post(
            f"{base}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, secret),
            timeout=30,
        )
        assert own.status_code == 200, own.text  # the secret shown is the app's
        page.goto(apps)
        assert secret not in page.content()  # shown once
        assert client_id in page.inner_text("main")

        page.fill("#app-1-redirect_uris", "https://billing.example/cb\nhttps://b2.example/cb")
        page.get_by_role("button", name=words["save"]).click()
        page.wait_for_url(apps + "?done=app-saved")
        assert page.get_by_role("status").inner_text() == words["saved"]
        assert page.input_value("#app-1-redirect_uris").splitlines() == [
            "https://billing.example/cb",
            "https://b2.example/cb",
        ]
        phone_checked(page)

        page.get_by_role("link", name=words["remove"], exact=True).click()
        page.wait_for_url(f"{apps}/{client_id}/remove")
        phone_checked(page)
        page.get_by_role("button", name=words["remove_it"]).click()
        page.wait_for_url(apps + "?done=app-removed")
        assert page.get_by_role("status").inner_text() == words["removed"]
        assert words["none"] in page.inner_text("main")
        phone_checked(page)
