"""The Brand section of an org's page in a real browser (docs/org-brand.md): Debian's
Chromium on gunicorn and the emulators, 375 px wide. An owner uploads a logo and sets the
name and colour, a colour too light is said beside its field, and the page, the brand shown
with its logo served by firegate, is axe-clean without sideways scrolling, in English and
Spanish; the sign-in page with ``?org=`` then wears the brand."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.support.browser import chromium, org_created, signed_up
from tests.support.browser import violations as axe_findings
from tests.support.servers import serving

pytestmark = pytest.mark.e2e
PHONE = 375
WIDTHS = "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48" viewBox="0 0 48 48">'
    '<rect width="48" height="48" fill="#7b1fa2"/></svg>'
)


@pytest.fixture(scope="module")
def base(emulators: Any) -> Iterator[str]:
    with serving("gunicorn-org-brand.log") as url:
        yield url


def checked(page: Page) -> None:
    page.set_viewport_size({"width": PHONE, "height": 667})
    scroll_width, client_width = page.evaluate(WIDTHS)
    assert scroll_width <= client_width, page.url
    assert axe_findings(page) == [], page.url


ENGLISH = {
    "sign_up": "Create account",
    "create": "Create",
    "section": "Brand",
    "name": "Display name",
    "logo": "Logo (PNG or SVG, up to 48 KB)",
    "color": "Colour (#rrggbb, white text must be readable on it)",
    "save": "Save",
    "saved": "The brand is saved: the pages and mails about the organization show it.",
}
SPANISH = {
    "sign_up": "Crear cuenta",
    "create": "Crear",
    "section": "Marca",
    "name": "Nombre visible",
    "logo": "Logotipo (PNG o SVG, hasta 48 KB)",
    "color": "Color (#rrggbb, el texto blanco debe leerse bien sobre él)",
    "save": "Guardar",
    "saved": "La marca se ha guardado: las páginas y los correos sobre la organización "
    "la muestran.",
}


@pytest.fixture
def logo(tmp_path: Path) -> Path:
    path = tmp_path / "logo.svg"
    path.write_text(SVG, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("locale", "words", "slug"),
    [("en-US", ENGLISH, "brand-en"), ("es-ES", SPANISH, "brand-es")],
    ids=["en", "es"],
)
def test_an_owner_sets_the_brand(
    base: str, logo: Path, locale: str, words: dict[str, str], slug: str
) -> None:
    slug = f"{slug}-{uuid.uuid4().hex[:8]}"  # the emulator's data kept across runs
    with chromium(javascript=True, locale=locale) as page:
        page.set_viewport_size({"width": PHONE, "height": 667})
        signed_up(page, base, button=words["sign_up"])
        org_created(page, base, slug, button=words["create"])
        page.get_by_role("link", name=words["section"], exact=True).click()
        page.wait_for_url(f"{base}/account/orgs/{slug}/brand")
        checked(page)
        page.get_by_label(words["name"]).fill(f"Rockets {slug}")
        page.get_by_label(words["logo"]).set_input_files(str(logo))
        page.get_by_label(words["color"]).fill("#ffeb3b")
        page.get_by_role("button", name=words["save"]).click()
        page.get_by_role("alert").first.wait_for()  # the refusal beside its field
        checked(page)
        page.get_by_label(words["logo"]).set_input_files(str(logo))
        page.get_by_label(words["color"]).fill("#7b1fa2")
        page.get_by_role("button", name=words["save"]).click()
        assert page.get_by_role("status").inner_text() == words["saved"]
        image = page.locator("main img")
        image.wait_for()
        assert page.evaluate("img => img.naturalWidth", image.element_handle()) == 48
        checked(page)
    with chromium(javascript=True, locale=locale) as page:  # signed out
        page.set_viewport_size({"width": PHONE, "height": 667})
        page.goto(f"{base}/sign-in?org={slug}")
        assert f"Rockets {slug}" in page.locator("header").inner_text()
        checked(page)
