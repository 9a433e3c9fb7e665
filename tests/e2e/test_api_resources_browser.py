"""API resources with their own scopes, end to end (docs/reference/oauth.md, "API
resources"): an admin registers one on /admin in Chromium, 375 px wide, in English and
Spanish; gunicorn on the emulators."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.support.api import PASSWORD
from tests.support.browser import chromium, fill, violations
from tests.support.servers import cli

pytestmark = pytest.mark.e2e
PHONE = 375


def an_admin(page: Page, base: str) -> None:
    """A new account signed in on ``page``, in its language, made an admin."""
    name = "a" + uuid.uuid4().hex[:10]
    page.goto(base + "/sign-up")
    fill(page, username=name, email=f"{name}@example.com", password=PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(base + "/account")
    cli(["users", "set-role", name, "admin"])


@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_an_admin_registers_and_removes_an_api_resource_on_a_phone(
    gunicorn_url: str, firestore: Any, locale: str
) -> None:
    base, uri = gunicorn_url, f"https://tasks-{uuid.uuid4().hex[:8]}.example.com/"
    spanish = locale == "es-ES"
    seen: list[str] = []
    with chromium(javascript=True, locale=locale) as page:
        page.set_viewport_size({"width": PHONE, "height": 800})
        an_admin(page, base)
        page.goto(base + "/admin#resources")
        heading = page.locator("#resources").inner_text()
        assert heading == ("Recursos de API" if spanish else "API resources")
        page.fill("#resource-uri", uri)
        page.fill("#resource-scopes", "tasks:read\n")  # no description: refused beside it
        page.locator("#add-resource + form button[type=submit]").click()
        error = page.locator("#resource-scopes-error[role=alert]").inner_text()
        assert error.startswith("Un ámbito por línea" if spanish else "One scope a line")
        seen += violations(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
        page.fill(
            "#resource-scopes",
            "tasks:read | Read your tasks | Leer tus tareas\ntasks:write | Change your tasks",
        )
        page.locator("#add-resource + form button[type=submit]").click()
        page.wait_for_url(base + "/admin#resources")
        listing = page.locator("#resources + p + table").inner_text()
        assert uri in listing and "Leer tus tareas" in listing and "Change your tasks" in listing
        seen += violations(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
        listed = cli(["resources", "list"])
        assert uri in listed
        remove = "Quitar" if spanish else "Remove"
        page.get_by_role("button", name=f"{remove} {uri}").click()
        page.wait_for_url(base + "/admin#resources")
        assert uri not in page.inner_text("main")
    assert uri not in cli(["resources", "list"])
    assert seen == []
