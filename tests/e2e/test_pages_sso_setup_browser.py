"""Self-serve single sign-on setup in a real browser (docs/reference/sso.md, "Setup links";
docs/pages.md, "Single sign-on setup"): Debian's Chromium on gunicorn and the emulators,
375 px wide. An org admin makes a setup link on the org's single sign-on section; the
customer's IT admin, in a browser with no session, opens it, reads firegate's values,
pastes the metadata of pysaml2's own IdP, runs a test sign-in against that IdP (its sign-in
page served to the browser by the test) and sees what it sent with nothing made, then
activates; the page in Spanish too; the owner then requires single sign-on there, and later a
link for the active connection rotates its certificate through a draft, tested and applied.
Every page axe-clean, without sideways scrolling, under the pages' CSP."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, Route

from tests.support.browser import TIMEOUT_MS, chromium, signed_up
from tests.support.browser import violations as axe_findings
from tests.support.saml import idp_metadata
from tests.support.saml_idp import ENTITY_ID, SamlIdpForTests, key_pair, posted
from tests.support.servers import free_port, serving

# An active connection left behind would turn other modules' sign-in pages address-first.
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("emptied_after")]
PHONE = 375
WIDTHS = "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
# The IdP's sign-in address: same site as the service (cookies of SameSite=Lax, as the
# local profile keeps the flight, come back with its POST); the test answers it.
IDP_SSO = "http://127.0.0.1:9/idp/sso"


@pytest.fixture(scope="module")
def base(emulators: Any) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serving("gunicorn-sso-setup.log", PORT=str(port), PUBLIC_URL=url) as found:
        yield found


def new_browser(page: Page, locale: str) -> Page:
    """A browser of its own cookies (no session) beside ``page``, in ``locale``; scripts on
    for the checks' measures (the pages themselves need none)."""
    browser = page.context.browser
    assert browser is not None
    context = browser.new_context(java_script_enabled=True, locale=locale)
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def checked(page: Page) -> None:
    page.set_viewport_size({"width": PHONE, "height": 667})
    scroll_width, client_width = page.evaluate(WIDTHS)
    assert scroll_width <= client_width, page.url
    assert axe_findings(page) == [], page.url


def the_idp_answers(page: Page, idp_of: Any, acs: str, audience: str) -> None:
    """The IdP's sign-in page: pysaml2's IdP checks the request and answers with a signed
    response for ada@corp.example, which a button posts to the ACS (HTTP-POST binding)."""

    def answer(route: Route) -> None:
        idp = idp_of()
        request = idp.request_of(route.request.url)
        xml = idp.response(
            in_response_to=request.message.id,
            destination=acs,
            audience=audience,
            email="ada@corp.example",
            attributes={"mail": ["ada@corp.example"], "givenName": ["Ada"], "groups": ["IT"]},
        )
        body = (
            '<!doctype html><html lang="en"><title>IdP</title><main>'
            f'<form method="post" action="{html.escape(acs)}">'
            f'<input type="hidden" name="SAMLResponse" value="{posted(xml)}">'
            "<button>Continue</button></form></main></html>"
        )
        route.fulfill(status=200, content_type="text/html", body=body)

    page.route(IDP_SSO + "*", answer)


def tried_sign_in(page: Page, idp: SamlIdpForTests, acs: str, entity_id: str) -> str:
    """A test sign-in from the setup page, answered by ``idp``: what the page shows it
    asserted."""
    the_idp_answers(page, lambda: idp, acs, entity_id)
    page.get_by_role("link", name="Test sign-in").click()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(acs)
    return page.locator("#asserted").inner_text()


def test_an_it_admin_sets_up_sso_through_a_link(base: str, firestore: Any) -> None:
    keys = key_pair()
    with chromium(javascript=True) as page:
        page.set_viewport_size({"width": PHONE, "height": 667})
        signed_up(page, base, "o")
        page.goto(base + "/account/orgs")
        page.fill("input[name=name]", "Corp")
        page.fill("input[name=slug]", "corp")
        page.get_by_role("button", name="Create", exact=True).click()
        page.wait_for_url(f"{base}/account/orgs/corp?done=org-created")
        page.get_by_role("link", name="Single sign-on").click()
        page.wait_for_url(f"{base}/account/orgs/corp/sso")  # measured once it has loaded
        checked(page)
        page.get_by_label("Connection", exact=True).select_option("new-saml")
        page.get_by_role("button", name="Make the link").click()
        link = page.get_by_role("textbox", name="Setup link").input_value()
        assert link.startswith(base + "/sso/setup?token=")
        checked(page)
        cid = re.search(r"token=([a-z0-9]{20})\.", link).group(1)  # type: ignore[union-attr]

        it_admin = new_browser(page, "en-US")
        it_admin.goto(link)
        acs = f"{base}/sso/{cid}/saml/acs"
        entity_id = f"{base}/sso/{cid}/saml/metadata"
        assert it_admin.locator("#acs-url").inner_text() == acs
        assert it_admin.locator("#entity-id").inner_text() == entity_id
        checked(it_admin)
        it_admin.get_by_label("Your identity provider's metadata (XML)").fill(
            idp_metadata(ENTITY_ID, IDP_SSO, (keys.der,))
        )
        it_admin.get_by_label("E-mail address", exact=True).fill("mail")
        it_admin.get_by_label("Groups", exact=True).fill("groups")
        it_admin.get_by_label("Roles of each group (one a line: group = roles)").fill("IT = admin")
        it_admin.get_by_role("button", name="Save").click()
        assert it_admin.get_by_role("status").inner_text() == "Saved."
        assert ENTITY_ID in it_admin.locator("#idp-entity-id").inner_text()
        assert "Expires on" in it_admin.locator("#certificates").inner_text()
        checked(it_admin)

        sp_metadata = requests.get(entity_id, timeout=30).text
        asserted = tried_sign_in(
            it_admin, SamlIdpForTests(sp_metadata, keys=keys, sso_url=IDP_SSO), acs, entity_id
        )
        assert "ada@corp.example" in asserted and "Ada" in asserted and "admin" in asserted
        assert "not on a verified domain" in it_admin.locator("#outcome").inner_text()
        checked(it_admin)
        # Nothing was made: one account (the admin's), no session in this browser.
        assert len(list(firestore.collection("users").stream())) == 1
        assert not [c for c in it_admin.context.cookies() if c["name"].endswith("session")]

        spanish = new_browser(page, "es-ES")
        spanish.goto(link)
        assert "Configurar el inicio de sesión único de Corp" in spanish.title()
        checked(spanish)

        it_admin.get_by_role("link", name="Back to the setup").click()
        it_admin.get_by_role("button", name="Activate").click()
        assert "now sign in through your identity provider" in it_admin.inner_text("main")
        checked(it_admin)
        assert it_admin.goto(link).status == 400  # type: ignore[union-attr]

        page.reload()
        assert "Active" in page.inner_text("main")
        # The owner requires single sign-on, keeping their own password sign-in.
        page.get_by_label("Members sign in only with single sign-on").check()
        page.get_by_label("Keep my own sign-in with a password or passkey (break-glass)").check()
        page.get_by_role("button", name="Save the policy").click()
        assert page.get_by_role("status").inner_text() == "The single sign-on policy is saved."
        checked(page)
        orgs = [o.to_dict() for o in firestore.collection("orgs").stream()]
        assert [(o["slug"], o["require_sso"], len(o["sso_break_glass"])) for o in orgs] == [
            ("corp", True, 1)
        ]

        # Later the IdP's certificate is rotated: a link for the active connection, through
        # which the IT admin saves a draft, tests it and applies it (reference/sso.md,
        # "Rotating a certificate or secret").
        rotated = key_pair()
        page.get_by_label("Connection", exact=True).select_option(cid)
        page.get_by_role("button", name="Make the link").click()
        again = page.get_by_role("textbox", name="Setup link").input_value()
        assert again.startswith(f"{base}/sso/setup?token={cid}.")
        rotation = new_browser(page, "en-US")
        rotation.goto(again)
        assert "This connection is active" in rotation.locator("#live-notice").inner_text()
        checked(rotation)
        rotation.get_by_label("Your identity provider's metadata (XML)").fill(
            idp_metadata(ENTITY_ID, IDP_SSO, (rotated.der,))
        )
        rotation.get_by_role("button", name="Save").click()
        assert "Saved as a draft" in rotation.get_by_role("status").inner_text()
        checked(rotation)
        live = firestore.collection("sso_connections").document(cid).get().to_dict()
        assert [c["der"] for c in live["saml"]["certificates"]] == [keys.der]
        tried = SamlIdpForTests(sp_metadata, keys=rotated, sso_url=IDP_SSO)
        assert "ada@corp.example" in tried_sign_in(rotation, tried, acs, entity_id)
        spanish_draft = new_browser(page, "es-ES")
        spanish_draft.goto(again)
        assert "Esta conexión está activa" in spanish_draft.locator("#live-notice").inner_text()
        assert spanish_draft.get_by_role("button", name="Aplicar").is_visible()
        checked(spanish_draft)
        rotation.get_by_role("link", name="Back to the setup").click()
        rotation.get_by_role("button", name="Apply").click()
        assert "Applied" in rotation.get_by_role("status").inner_text()
        checked(rotation)
        live = firestore.collection("sso_connections").document(cid).get().to_dict()
        assert [c["der"] for c in live["saml"]["certificates"]] == [rotated.der]
        assert live["draft"] is None and live["status"] == "active"
