"""The Agents section of an org's page in a real browser (docs/pages.md, "Organizations"):
Debian's Chromium on gunicorn and the emulators, 375 px wide. An owner chooses an allow list
of hosts, a refused host is said beside the field, and the page is axe-clean without
sideways scrolling, in English and Spanish."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.support.browser import chromium, org_created, signed_up
from tests.support.browser import violations as axe_findings
from tests.support.servers import serving

pytestmark = pytest.mark.e2e
PHONE = 375
WIDTHS = "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"


@pytest.fixture(scope="module")
def base(emulators: Any) -> Iterator[str]:
    with serving("gunicorn-org-agents.log") as url:
        yield url


def checked(page: Page) -> None:
    page.set_viewport_size({"width": PHONE, "height": 667})
    scroll_width, client_width = page.evaluate(WIDTHS)
    assert scroll_width <= client_width, page.url
    assert axe_findings(page) == [], page.url


ENGLISH = {
    "sign_up": "Create account",
    "create": "Create",
    "section": "Agents",
    "list": "Only the apps on these hosts",
    "hosts": "Hosts, one per line",
    "save": "Save",
    "saved": "The agent policy is saved: it holds from the next request of each app.",
}
SPANISH = {
    "sign_up": "Crear cuenta",
    "create": "Crear",
    "section": "Agentes",
    "list": "Solo las apps de estos hosts",
    "hosts": "Hosts, uno por línea",
    "save": "Guardar",
    "saved": "La política de agentes está guardada: rige desde la próxima petición de cada app.",
}


@pytest.mark.parametrize(
    ("locale", "words", "slug"),
    [("en-US", ENGLISH, "agents-en"), ("es-ES", SPANISH, "agents-es")],
    ids=["en", "es"],
)
def test_an_owner_sets_an_allow_list(
    base: str, firestore: Any, locale: str, words: dict[str, str], slug: str
) -> None:
    with chromium(javascript=True, locale=locale) as page:
        page.set_viewport_size({"width": PHONE, "height": 667})
        signed_up(page, base, button=words["sign_up"])
        org_created(page, base, slug, button=words["create"])
        page.get_by_role("link", name=words["section"], exact=True).click()
        page.wait_for_url(f"{base}/account/orgs/{slug}/agents")  # measured once it is there
        checked(page)
        page.get_by_label(words["list"]).check()
        page.get_by_label(words["hosts"]).fill("https://agent.example.com")
        page.get_by_role("button", name=words["save"]).click()
        page.get_by_role("alert").first.wait_for()  # the answer's page, once it is there
        checked(page)  # the refusal beside its field
        page.get_by_label(words["hosts"]).fill("agent.example.com\nmcp.example")
        page.get_by_role("button", name=words["save"]).click()
        assert page.get_by_role("status").inner_text() == words["saved"]
        assert page.get_by_label(words["list"]).is_checked()
        checked(page)
