"""An org admin's test sign-in from a SAML connection's own page, in Debian's Chromium on
gunicorn and the emulators (docs/reference/sso.md, "Test sign-in"; docs/pages.md,
"Organizations"; docs/decisions/0469-the-admins-test-sign-in.md): the owner presses "Test
sign-in", passes pysaml2's own IdP (its site on this machine, tests/support/saml_idp_site.py) and
sees what it sent and what a sign-in would do, with no account and no session made for the
IdP's person; in English and Spanish, 375 px wide, axe-clean. A member who is no admin is
refused, and the trial's flight brought back by another signed-in account is refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import Page

from tests.support.api import PASSWORD, bearer
from tests.support.browser import chromium, org_created, own_context, signed_up
from tests.support.browser import phone_checked as checked
from tests.support.saml import idp_metadata
from tests.support.saml_idp import ENTITY_ID
from tests.support.saml_idp_site import SamlIdpSite, idp_site
from tests.support.servers import cli, free_port, serving

__all__ = ["idp_site"]  # the fixture
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("emptied_after")]
PHONE = 375
ENGLISH = {
    "sign_up": "Create account",
    "create": "Create",
    "test": "Test sign-in",
    "as_it_is": "This test tried the connection as it is.",
    "nothing": "Nothing was created and nobody is signed in.",
    "back": "Back to the connection",
}
SPANISH = {
    "sign_up": "Crear cuenta",
    "create": "Crear",
    "test": "Probar el inicio de sesión",
    "as_it_is": "Esta prueba usó la conexión tal como está.",
    "nothing": "No se ha creado nada y nadie ha iniciado sesión.",
    "back": "Volver a la conexión",
}


@pytest.fixture(scope="module")
def base(emulators: Any) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serving("gunicorn-sso-admin-test.log", PORT=str(port), PUBLIC_URL=url) as found:
        yield found


def saml_connection(base: str, owner: str, slug: str, idp: SamlIdpSite) -> str:
    """A draft SAML connection of the org to the IdP's site, made through the API by its
    owner (a test runs on a connection in any status), which the IdP then trusts: its id."""
    login = requests.post(
        f"{base}/login", json={"username": owner, "password": PASSWORD}, timeout=30
    )
    assert login.status_code == 200, login.text
    made = requests.post(
        f"{base}/orgs/{slug}/connections",
        json={
            "kind": "saml",
            "name": "Corp IdP",
            "saml": {"metadata_xml": idp_metadata(ENTITY_ID, idp.sso_url, (idp.keys.der,))},
            "mapping": {"email": "mail"},
        },
        headers=bearer(login.json()["access_token"]),
        timeout=30,
    )
    assert made.status_code == 201, made.text
    cid = str(made.json()["id"])
    metadata = f"{base}/sso/{cid}/saml/metadata"
    idp.trust(requests.get(metadata, timeout=30).text, f"{base}/sso/{cid}/saml/acs", metadata)
    return cid


def at_the_idp(page: Page, email: str) -> None:
    """The person's part at the IdP: their address, then its answer posted to the ACS."""
    page.fill("#email", email)
    page.get_by_role("button", name="Sign in to Corp IdP").click()
    page.get_by_role("button", name="Continue to the service").click()


def counted(firestore: Any, collection: str) -> int:
    return len(list(firestore.collection(collection).stream()))


@pytest.mark.parametrize(("locale", "words"), [("en-US", ENGLISH), ("es-ES", SPANISH)])
def test_an_owner_tests_the_connection_and_nothing_is_made(
    base: str, idp_site: SamlIdpSite, firestore: Any, locale: str, words: dict[str, str]
) -> None:
    with chromium(javascript=True, locale=locale) as page:
        page.set_viewport_size({"width": PHONE, "height": 667})
        owner = signed_up(page, base, "o", button=words["sign_up"])
        slug = owner + "-org"
        org_created(page, base, slug, button=words["create"])
        cid = saml_connection(base, owner, slug, idp_site)
        view = f"{base}/account/orgs/{slug}/sso/{cid}"
        page.goto(view)
        checked(page)
        users, sessions = counted(firestore, "users"), counted(firestore, "sessions")

        page.get_by_role("button", name=words["test"], exact=True).click()
        at_the_idp(page, "ivy@corp.example")
        page.wait_for_url(f"{base}/sso/{cid}/saml/acs")
        assert words["nothing"] in page.get_by_role("status").inner_text()
        assert page.locator("#tried").inner_text() == words["as_it_is"]
        asserted = page.locator("#asserted").inner_text()
        assert "ivy@corp.example" in asserted and "Ada" in asserted and "Lovelace" in asserted
        checked(page)
        # Nothing made for the IdP's person: no account, no session; the owner's own stays.
        assert (counted(firestore, "users"), counted(firestore, "sessions")) == (users, sessions)
        page.get_by_role("link", name=words["back"]).click()
        page.wait_for_url(view)
        assert page.locator("#connection-heading").inner_text() == "Corp IdP"


def test_a_member_is_refused_and_a_trial_is_the_admins_alone(
    base: str, idp_site: SamlIdpSite, firestore: Any
) -> None:
    with chromium(javascript=True) as page:
        owner = signed_up(page, base, "o")
        slug = owner + "-org"
        org_created(page, base, slug)
        cid = saml_connection(base, owner, slug, idp_site)
        view = f"{base}/account/orgs/{slug}/sso/{cid}"

        with own_context(page) as member_page:
            member = signed_up(member_page, base, "m")
            cli(["orgs", "members", "add", slug, member, "--role", "member"])
            refused = member_page.goto(view)  # the connection's page is the admins'
            assert refused is not None and refused.status == 403
            # Nor does a test start for them: the form's post, with this browser's token.
            token = member_page.locator("meta[name=csrf-token]").get_attribute("content")
            answer = member_page.request.post(
                f"{view}/test", form={"csrf_token": token or ""}, max_redirects=0
            )
            assert answer.status == 403

            # The owner's trial, at the IdP; its flight brought back by the member's browser.
            page.goto(view)
            page.get_by_role("button", name="Test sign-in", exact=True).click()
            page.wait_for_url(idp_site.sso_url + "*")
            sent_to_the_idp = page.url
            flight = [c for c in page.context.cookies() if c["name"].endswith("sso")]
            assert len(flight) == 1
            member_page.context.add_cookies(
                [{"name": flight[0]["name"], "value": flight[0]["value"], "url": base}]
            )
            member_page.goto(sent_to_the_idp)  # the same request, answered in their browser
            at_the_idp(member_page, "ivy@corp.example")
            member_page.wait_for_url(f"{base}/sso/{cid}/saml/acs")
            shown = member_page.inner_text("main")
            assert "started by another account" in shown, shown
            assert "ivy@corp.example" not in shown
        users = [u.to_dict()["email"] for u in firestore.collection("users").stream()]
        assert "ivy@corp.example" not in users
