"""A connection on the single sign-on section of an org's page, in Debian's Chromium on
gunicorn and the emulators (docs/pages.md, "Organizations"): an owner makes a setup link
(the setup page shows the steps at Okta, Entra ID and Google Workspace), opens the new
connection's view, renames it, switches IdP-initiated sign-in on, and deletes it once
confirmed; in English and Spanish, 375 px wide, every step axe-clean without sideways
scrolling."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.browser import chromium, org_created, signed_up
from tests.support.browser import phone_checked as checked
from tests.support.servers import serving

pytestmark = pytest.mark.e2e
PHONE = 375
ENGLISH = {
    "sign_up": "Create account",
    "create": "Create",
    "section": "Single sign-on",
    "make_link": "Make the link",
    "save_name": "Save the name",
    "renamed": "The connection is renamed.",
    "allow": "Accept sign-ins begun at the identity provider",
    "save": "Save",
    "allowed": "Sign-ins begun at the identity provider are accepted.",
    "delete": "Delete the connection",
    "deleted": "The connection is deleted: nobody signs in through it any more.",
    "none": "No connections yet.",
}
SPANISH = {
    "sign_up": "Crear cuenta",
    "create": "Crear",
    "section": "Inicio de sesión único",
    "make_link": "Crear el enlace",
    "save_name": "Guardar el nombre",
    "renamed": "La conexión tiene otro nombre.",
    "allow": "Aceptar los inicios de sesión empezados en el proveedor de identidad",
    "save": "Guardar",
    "allowed": "Se aceptan los inicios de sesión empezados en el proveedor de identidad.",
    "delete": "Eliminar la conexión",
    "deleted": "La conexión está eliminada: ya nadie inicia sesión con ella.",
    "none": "Aún no hay conexiones.",
}


@pytest.fixture(scope="module")
def base(emulators: Any) -> Iterator[str]:
    """The pages on gunicorn, their log named after this module."""
    with serving("gunicorn-sso-connection-pages.log") as url:
        yield url


@pytest.mark.parametrize(("locale", "words"), [("en-US", ENGLISH), ("es-ES", SPANISH)])
def test_an_owner_reads_renames_opens_and_deletes_a_connection(
    base: str, locale: str, words: dict[str, str]
) -> None:
    with chromium(javascript=True, locale=locale) as page:
        page.set_viewport_size({"width": PHONE, "height": 667})
        slug = signed_up(page, base, "s", button=words["sign_up"]) + "-org"
        sso = f"{base}/account/orgs/{slug}/sso"
        org_created(page, base, slug, button=words["create"])
        page.get_by_role("link", name=words["section"], exact=True).click()
        page.wait_for_url(sso)
        assert words["none"] in page.inner_text("main")
        page.select_option("#setup-link-connection", "new-saml")
        page.get_by_role("button", name=words["make_link"]).click()
        setup_url = page.input_value("#setup-link-url")
        checked(page)

        page.goto(setup_url)  # the IT admin's page, in the same language
        page.get_by_role("link", name="Microsoft Entra ID", exact=True).click()
        assert page.url.endswith("#steps-entra")
        assert page.locator("#steps-entra").is_visible()
        checked(page)

        page.goto(sso)
        page.get_by_role("link", name="SAML", exact=True).click()
        page.wait_for_url(f"{sso}/*")
        view = page.url
        sign_in_url = page.inner_text("#sign-in-url")
        assert sign_in_url.endswith(f"/sso/{view.rsplit('/', 1)[1]}/saml")  # PUBLIC_URL's
        assert page.inner_text("#acs-url") == sign_in_url + "/acs"
        checked(page)

        page.fill("#connection-name-name", "Okta staff")
        page.get_by_role("button", name=words["save_name"]).click()
        page.wait_for_url(view + "?done=connection-renamed")
        assert page.get_by_role("status").inner_text() == words["renamed"]
        assert page.inner_text("#connection-heading") == "Okta staff"
        checked(page)

        switch = page.get_by_role("checkbox", name=words["allow"])
        assert not switch.is_checked()
        switch.check()
        page.get_by_role("button", name=words["save"], exact=True).click()
        page.wait_for_url(view + "?done=idp-initiated-on")
        assert page.get_by_role("status").inner_text() == words["allowed"]
        assert page.get_by_role("checkbox", name=words["allow"]).is_checked()
        checked(page)

        page.get_by_role("link", name=words["delete"], exact=True).click()
        page.wait_for_url(view + "/delete")
        checked(page)
        page.get_by_role("button", name=words["delete"], exact=True).click()
        page.wait_for_url(sso + "?done=connection-deleted")
        assert page.get_by_role("status").inner_text() == words["deleted"]
        assert words["none"] in page.inner_text("main")
        checked(page)
