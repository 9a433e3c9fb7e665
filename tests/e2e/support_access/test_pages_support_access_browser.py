"""Support access in Debian's Chromium, on gunicorn and the emulators (docs/support-access.md):
an org's admin acts as a member from the members' section, an admin as a person from their
account's admin page, each with a reason and minutes; every page of the session shows the
banner above the layout, across it, naming the admin by username, with End; the forms the
session may not send are disabled, saying why; End signs the browser out of it. In English
and Spanish, 375 px wide and 1280 px, every step axe-clean without sideways scrolling."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from playwright.sync_api import Page

from tests.support.api import PASSWORD
from tests.support.browser import (
    TIMEOUT_MS,
    chromium,
    org_created,
    phone_checked,
    shoot,
    signed_up,
)
from tests.support.servers import cli, serving

pytestmark = pytest.mark.e2e
PHONE, DESKTOP = 375, 1280
ENGLISH = {
    "sign_up": "Create account",
    "create": "Create",
    "members": "Members",
    "reason": "Reason",
    "minutes": "Minutes (1 to 60)",
    "act_as": "Act as {name}",
    "banner": "You are acting as {person} for {admin}.",
    "end": "End",
    "password": "Support access cannot change the password.",
    "username": "Support access cannot change the username.",
}
SPANISH = {
    "sign_up": "Crear cuenta",
    "create": "Crear",
    "members": "Miembros",
    "reason": "Motivo",
    "minutes": "Minutos (de 1 a 60)",
    "act_as": "Actuar como {name}",
    "banner": "Estás actuando como {person} en nombre de {admin}.",
    "end": "Terminar",
    "password": "El acceso de soporte no puede cambiar la contraseña.",
    "username": "El acceso de soporte no puede cambiar el nombre de usuario.",
}
BOX = "(selector) => { const r = document.querySelector(selector).getBoundingClientRect(); "
BOX += "return [r.left, r.top, r.width]; }"


@pytest.fixture(scope="module")
def base(emulators: Any) -> Iterator[str]:
    with serving("gunicorn-support-access-pages.log") as url:
        yield url


@contextmanager
def in_locale(page: Page, locale: str) -> Iterator[Page]:
    """Another person's browser beside ``page``'s, speaking ``locale``."""
    browser = page.context.browser
    assert browser is not None
    context = browser.new_context(java_script_enabled=True, locale=locale)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def token_of(base: str, name: str) -> dict[str, str]:
    answer = requests.post(
        base + "/login", json={"username": name, "password": PASSWORD}, timeout=30
    )
    return {"Authorization": "Bearer " + answer.json()["access_token"]}


def act(page: Page, name: str, words: dict[str, str]) -> None:
    """Open "Act as ``name``", give a reason and minutes, and send it."""
    page.get_by_text(words["act_as"].format(name=name), exact=True).first.click()
    form = page.locator("details[open] form")
    form.get_by_label(words["reason"], exact=True).fill("Ticket 4711: the export page")
    form.get_by_label(words["minutes"], exact=True).fill("20")
    form.get_by_role("button", name=words["act_as"].format(name=name)).click()


def in_the_session(page: Page, base: str, person: str, admin: str, words: dict[str, str]) -> None:
    """On every width: the banner first, across the layout; the content at its width; the
    password's form disabled, saying why; the username read-only; then End."""
    page.wait_for_url(base + "/account")
    banner = page.locator("form.banner")
    assert banner.locator("p").inner_text() == words["banner"].format(person=person, admin=admin)
    for width in (DESKTOP, PHONE):
        page.set_viewport_size({"width": width, "height": 800})
        for path in ("/account", "/account/security"):
            page.goto(base + path)
            # First, and across the whole layout as the header is (the page's width on a
            # phone; the centred columns on a desktop), never in one of its columns.
            left, top, across = page.evaluate(BOX, "form.banner")
            header = page.evaluate(BOX, "body > header")
            assert top == 0 and header[1] > 0, (path, width, top, header)
            assert (left, across) == (header[0], header[2]), (path, width, left, across, header)
            assert across >= (800 if width == DESKTOP else width), (path, width, across)
            main_width = page.evaluate(BOX, "main")[2]
            assert main_width >= (500 if width == DESKTOP else width - 40), (path, main_width)
            phone_checked(page)  # no sideways scrolling, nothing serious for axe
        password = page.locator("form[action='/account/password']")
        assert password.locator("p.refused").inner_text() == words["password"]
        assert password.locator("button").is_disabled()
        page.goto(base + "/account")
        username = page.locator("input[name=username]")
        assert username.get_attribute("readonly") is not None
        assert page.locator("#profile-username-refused").inner_text() == words["username"]
    shoot(page, "support-access-banner")
    page.get_by_role("button", name=words["end"], exact=True).click()
    page.wait_for_url(base + "/sign-in")
    page.goto(base + "/account")
    assert "/sign-in" in page.url  # the session has ended


@pytest.mark.parametrize(("locale", "words"), [("en-US", ENGLISH), ("es-ES", SPANISH)])
def test_an_orgs_admin_and_an_admin_act_as_a_person_from_the_pages(
    base: str, locale: str, words: dict[str, str]
) -> None:
    with chromium(javascript=True, locale=locale) as page:
        page.set_viewport_size({"width": PHONE, "height": 800})
        owner = signed_up(page, base, "o", button=words["sign_up"])
        slug = owner + "-org"
        org_created(page, base, slug, button=words["create"])
        role = {"description": "Admins", "permissions": ["org:impersonate"]}
        put = requests.put(
            f"{base}/orgs/{slug}/roles/admin", json=role, headers=token_of(base, owner), timeout=30
        )
        assert put.status_code in (200, 201), put.text
        with in_locale(page, locale) as other:  # the member's pages speak their language
            member = signed_up(other, base, "m", button=words["sign_up"])
        cli(["orgs", "members", "add", slug, member, "--role", "member"])

        # The org's admin: "Act as" beside the member on the members' section.
        with in_locale(page, locale) as sam_page:
            sam = signed_up(sam_page, base, "s", button=words["sign_up"])
            cli(["orgs", "members", "add", slug, sam, "--role", "admin"])
            sam_page.set_viewport_size({"width": PHONE, "height": 800})
            sam_page.goto(f"{base}/account/orgs/{slug}/members")
            phone_checked(sam_page)
            act(sam_page, member, words)
            in_the_session(sam_page, base, member, sam, words)

        # An operator's admin: "Act as" on the person's admin page, in the page's language.
        root = signed_up(page, base, "r", button=words["sign_up"])
        cli(["users", "set-role", root, "admin"])
        person = requests.get(f"{base}/user", headers=token_of(base, member), timeout=30).json()
        page.goto(f"{base}/admin/users/{person['id']}")
        phone_checked(page)
        act(page, member, words)
        in_the_session(page, base, member, root, words)
