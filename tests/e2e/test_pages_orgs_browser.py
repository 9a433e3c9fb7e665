"""/orgs/join in a real browser (docs/reference/orgs.md, "Invitations"): Debian's Chromium,
on gunicorn, the emulators and maildev. The invited person, signed out,
creates an account from the invitation's page, comes back and joins; another address is
told so; Spanish; axe-clean, 375 px wide, under the pages' CSP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from playwright.sync_api import Page

from domain.orgs.orgs import Membership, Org, Slug
from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository
from tests.support import mailbox
from tests.support.api import PASSWORD, bearer
from tests.support.browser import (
    chromium,
    fill,
    on_this_server,
    shoot,
    signed_up,
    violations,
)

pytestmark = pytest.mark.e2e
PHONE = 375
WIDTHS = "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"


def invitation_link(base: str, firestore: Any, address: str) -> tuple[str, str]:
    """An org "Acme Corp" whose owner invited ``address``: the mail's link, on this server,
    and the org's id."""
    body = {"username": "olga", "email": "olga@example.com", "password": PASSWORD}
    assert requests.post(base + "/register", json=body, timeout=30).status_code == 201
    login = {"username": "olga", "password": PASSWORD}
    token = requests.post(base + "/login", json=login, timeout=30).json()["access_token"]
    owner_id = requests.get(base + "/user", headers=bearer(token), timeout=30).json()["id"]
    now = datetime.now(UTC)
    org = Org.create(Slug("acme"), "Acme Corp", now)
    owner = Membership(org.id, owner_id, ("owner",), 0, now, now)
    FirestoreOrgRepository(firestore).add(org, owner)
    invite = {"email": address, "roles": ["member"]}
    created = requests.post(
        base + "/orgs/acme/invitations", json=invite, headers=bearer(token), timeout=30
    )
    assert created.status_code == 201, created.text
    (mail,) = mailbox.wait_for(address)
    return on_this_server(base, mailbox.link_in(mail)), org.id


def fits_a_phone(page: Page) -> None:
    page.set_viewport_size({"width": PHONE, "height": 667})
    scroll_width, client_width = page.evaluate(WIDTHS)
    assert scroll_width <= client_width
    assert violations(page) == []


def test_sign_up_from_the_invitation_and_join(gunicorn_url: str, firestore: Any) -> None:
    base = gunicorn_url
    link, org_id = invitation_link(base, firestore, "ivy@example.com")
    here = link.removeprefix(base)
    with chromium(javascript=True) as page:
        answer = page.goto(link)
        assert answer is not None and answer.status == 200
        csp = answer.headers["content-security-policy"]
        sign_in = requests.get(base + "/sign-in", timeout=30)
        assert csp == sign_in.headers["Content-Security-Policy"]  # the pages' CSP, unchanged
        assert "Acme Corp" in page.inner_text("main")
        fits_a_phone(page)
        shoot(page, "orgs-join-signed-out")
        page.get_by_role("link", name="Create an account").click()
        page.wait_for_url(base + "/sign-up?" + urlencode({"next": here}))
        fill(page, username="ivy", email="ivy@example.com", password=PASSWORD)
        page.get_by_role("button", name="Create account").click()
        page.wait_for_url(link)  # back on the invitation, signed in
        fits_a_phone(page)
        page.get_by_role("button", name="Join Acme Corp").click()
        assert page.get_by_role("status").inner_text() == "You are a member of Acme Corp."
        fits_a_phone(page)
        shoot(page, "orgs-joined")

        assert page.context.browser is not None
        eve = page.context.browser.new_context(locale="en-US").new_page()  # axe runs with JS on
        signed_up(eve, base, "e")
        eve.goto(link)
        alert = eve.get_by_role("alert").inner_text()
        assert "another address than the invited one" in alert
        assert eve.get_by_role("button", name="Join Acme Corp").count() == 0
        assert violations(eve) == []
    members = firestore.collection("orgs").document(org_id).collection("members").stream()
    assert len(list(members)) == 2


def test_the_page_in_spanish(gunicorn_url: str, firestore: Any) -> None:
    base = gunicorn_url
    link, _ = invitation_link(base, firestore, "ivy@example.com")
    with chromium(javascript=True, locale="es-ES") as page:
        page.goto(link)
        main = page.inner_text("main")
        assert "Te invitan a unirte a la organización Acme Corp" in main
        assert page.get_by_role("link", name="Crear una cuenta").count() == 1
        fits_a_phone(page)
