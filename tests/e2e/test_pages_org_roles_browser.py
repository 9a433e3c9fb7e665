"""The Roles section of an org's page in Debian's Chromium, on gunicorn and the emulators
(docs/pages.md, "Organizations"): an owner adds a role with permissions, edits it, is told
beside the role why a change is refused (past the bounds, a role in use), and deletes it; a
forged post from the owner's browser changes nothing; a plain member reads the roles without
a control to change them. In English and Spanish, 375 px wide, every step axe-clean without
sideways scrolling."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from google.cloud.firestore import FieldFilter
from playwright.sync_api import Locator, Page

from tests.support.api import PASSWORD
from tests.support.browser import (
    chromium,
    org_created,
    own_context,
    phone_checked,
    shoot,
    signed_up,
)
from tests.support.servers import cli, serving

pytestmark = pytest.mark.e2e
PHONE = 375
ENGLISH = {
    "sign_up": "Create account",
    "create": "Create",
    "section": "Roles",
    "name": "Name",
    "description": "Description",
    "permissions": "Permissions, one per line or separated by commas",
    "add": "Add the role",
    "save": "Save",
    "delete": "Delete",
    "saved": "The role is saved.",
    "deleted": "The role is deleted.",
    "too_many": "At most 100 permissions, each named once.",
    "in_use": "Members hold this role: take it from them first.",
    "holders": "Members holding it: 1",
    "edit": "Edit",
    "builtins": "Owner Admin Member",
}
SPANISH = {
    "sign_up": "Crear cuenta",
    "create": "Crear",
    "section": "Roles",
    "name": "Nombre",
    "description": "Descripción",
    "permissions": "Permisos, uno por línea o separados por comas",
    "add": "Añadir el rol",
    "save": "Guardar",
    "delete": "Eliminar",
    "saved": "El rol está guardado.",
    "deleted": "El rol está eliminado.",
    "too_many": "Como máximo 100 permisos, cada uno una sola vez.",
    "in_use": "Hay miembros con este rol: quítaselo primero.",
    "holders": "Miembros que lo tienen: 1",
    "edit": "Editar",
    "builtins": "Propietario Administrador Miembro",
}


@pytest.fixture(scope="module")
def base(emulators: Any) -> Iterator[str]:
    with serving("gunicorn-org-roles-pages.log") as url:
        yield url


def role_item(page: Page, role: str) -> Locator:
    """The list item of ``role`` on the Roles section."""
    return page.locator("li").filter(has=page.locator("strong", has_text=role))


def edit(page: Page, role: str, words: dict[str, str]) -> Locator:
    """``role``'s item with its "Edit" disclosure opened."""
    item = role_item(page, role)
    item.get_by_text(words["edit"], exact=True).click()
    return item


def stored_role(firestore: Any, slug: str, role: str) -> Any:
    """``role``'s definition as the org's definitions hold it (None: none)."""
    (org,) = firestore.collection("orgs").where(filter=FieldFilter("slug", "==", slug)).get()
    stored = org.reference.collection("definitions").document("roles").get().to_dict()
    return ((stored or {}).get("role_definitions") or {}).get(role)


@pytest.mark.parametrize(("locale", "words"), [("en-US", ENGLISH), ("es-ES", SPANISH)])
def test_an_owner_edits_the_roles_and_a_member_reads_them(
    base: str, firestore: Any, locale: str, words: dict[str, str]
) -> None:
    with chromium(javascript=True, locale=locale) as page:
        page.set_viewport_size({"width": PHONE, "height": 667})
        owner = signed_up(page, base, "o", button=words["sign_up"])
        slug = owner + "-org"
        roles = f"{base}/account/orgs/{slug}/roles"
        org_created(page, base, slug, button=words["create"])
        page.get_by_role("link", name=words["section"], exact=True).click()
        page.wait_for_url(roles)
        # firegate's roles by their names in the reader's language, their token names beside
        shown = page.locator("ul.roles-list strong").all_inner_texts()
        assert " ".join(shown) == words["builtins"]
        assert page.locator("ul.roles-list code").all_inner_texts() == ["owner", "admin", "member"]
        assert page.locator("ul.roles-list textarea").first.is_visible() is False  # folded
        phone_checked(page)

        adding = page.locator("form[action$='/roles']")
        adding.get_by_label(words["name"], exact=True).fill("billing")
        adding.get_by_label(words["description"], exact=True).fill("Pays the bills")
        adding.get_by_label(words["permissions"]).fill("invoices:read, invoices:write")
        page.get_by_role("button", name=words["add"]).click()
        page.wait_for_url(roles + "?done=role-saved")
        assert page.get_by_role("status").inner_text() == words["saved"]
        billing = role_item(page, "billing")
        assert "invoices:read, invoices:write" in billing.inner_text()
        phone_checked(page)

        # Past the bounds: said beside the role, nothing changed.
        too_many = ",".join(f"p{n}" for n in range(101))
        billing = edit(page, "billing", words)
        billing.get_by_label(words["permissions"]).fill(too_many)
        billing.get_by_role("button", name=words["save"]).click()
        assert role_item(page, "billing").get_by_role("alert").inner_text() == words["too_many"]
        phone_checked(page)
        assert stored_role(firestore, slug, "billing")["permissions"] == [
            "invoices:read",
            "invoices:write",
        ]
        billing = role_item(page, "billing")
        billing.get_by_label(words["permissions"]).fill("invoices:read\nreports:read")
        billing.get_by_role("button", name=words["save"]).click()
        page.wait_for_url(roles + "?done=role-saved")
        assert stored_role(firestore, slug, "billing")["permissions"] == [
            "invoices:read",
            "reports:read",
        ]

        # A forged post (the browser's cookies, no CSRF token) is refused and writes nothing.
        forged = page.request.post(
            roles + "/billing", form={"description": "", "permissions": "everything"}
        )
        assert forged.status == 403
        forged = page.request.post(roles + "/billing/delete", form={})
        assert forged.status == 403
        assert stored_role(firestore, slug, "billing")["permissions"] == [
            "invoices:read",
            "reports:read",
        ]

        # A plain member, added by an operator with the role: reads, changes nothing.
        with own_context(page) as member:
            member.set_viewport_size({"width": PHONE, "height": 667})
            name = signed_up(member, base, "m")
            cli(["orgs", "members", "add", slug, name, "--role", "member", "--role", "billing"])
            member.goto(roles)
            assert "reports:read" in role_item(member, "billing").inner_text()
            assert member.locator("main textarea, main form button").count() == 0
            phone_checked(member)

        # In use: refused beside the role; once nobody holds it, deleted.
        page.goto(roles)
        assert words["holders"] in role_item(page, "billing").inner_text()
        edit(page, "billing", words).get_by_role("button", name=words["delete"]).click()
        assert role_item(page, "billing").get_by_role("alert").inner_text() == words["in_use"]
        phone_checked(page)
        token = requests.post(
            base + "/login", json={"username": owner, "password": PASSWORD}, timeout=30
        ).json()["access_token"]
        members = requests.get(
            f"{base}/orgs/{slug}/members",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ).json()["items"]
        (held,) = [m for m in members if "billing" in m["roles"]]
        dropped = requests.patch(
            f"{base}/orgs/{slug}/members/{held['user_id']}",
            json={"roles": ["member"]},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert dropped.status_code == 200, dropped.text
        page.goto(roles)
        edit(page, "billing", words).get_by_role("button", name=words["delete"]).click()
        page.wait_for_url(roles + "?done=role-deleted")
        assert page.get_by_role("status").inner_text() == words["deleted"]
        assert role_item(page, "billing").count() == 0
        assert stored_role(firestore, slug, "billing") is None
        phone_checked(page)


@pytest.mark.parametrize(("locale", "words"), [("en-US", ENGLISH), ("es-ES", SPANISH)])
def test_six_roles_are_a_compact_list(
    base: str, firestore: Any, locale: str, words: dict[str, str]
) -> None:
    """At 1280 px, firegate's three roles and three of the org's are a compact list, each
    role's forms folded under "Edit", the page (with the form to add one) under 1,600 px;
    "Roles" heads the page once; the switcher says what no organization means. axe-clean."""
    with chromium(javascript=True, locale=locale) as page:
        page.set_viewport_size({"width": 1280, "height": 800})
        owner = signed_up(page, base, "o", button=words["sign_up"])
        slug = owner + "-six"
        roles = f"{base}/account/orgs/{slug}/roles"
        org_created(page, base, slug, button=words["create"])
        for name in ("billing", "support", "reports"):
            adding = page.locator("form[action$='/roles']") if page.url.startswith(roles) else None
            if adding is None:
                page.goto(roles)
                adding = page.locator("form[action$='/roles']")
            adding.get_by_label(words["name"], exact=True).fill(name)
            adding.get_by_label(words["permissions"]).fill(f"{name}:read, {name}:write")
            page.get_by_role("button", name=words["add"]).click()
            page.wait_for_url(roles + "?done=role-saved")
        page.goto(roles)
        assert page.locator("ul.roles-list > li").count() == 6
        height = page.evaluate("() => document.scrollingElement.scrollHeight")
        assert height <= 1600, height
        assert page.get_by_role("heading", name=words["section"], exact=True).count() == 0
        assert page.locator("#switch-org option[value='']").inner_text() != "None"
        phone_checked(page)
        if locale == "en-US":
            shoot(page, "org-roles")
        page.set_viewport_size({"width": 1280, "height": 800})
        edit(page, "support", words)
        phone_checked(page)
        page.set_viewport_size({"width": PHONE, "height": 667})
        phone_checked(page)
