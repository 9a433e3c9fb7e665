"""Branded pages in a real browser (``PAGE_BRANDS``, docs/decisions/0860-page-brands.md):
the signed-out pages wearing a test unit's brand, served by the app on the fakes through
Chromium's request routing with their own headers, are axe-clean at 375 px without sideways
scrolling, and their CSP lets the branded stylesheet apply, in both colour schemes."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from playwright.sync_api import Page, Route

from tests.support.browser import PAGE_WIDTHS, page, shared_page, violations
from tests.support.page_brands import BrandWorld

pytestmark = pytest.mark.e2e
__all__ = ["page", "shared_page"]  # the fixtures
SITE = "http://brand.test"
PAGES = ("/sign-in?brand=acme", "/sign-up?brand=globex", "/sign-in?brand=nameonly")


def served_by(client: FlaskClient) -> object:
    """Chromium's requests answered by the app on the fakes, headers and all."""

    def answer(route: Route) -> None:
        parts = urlsplit(route.request.url)
        found = client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
        headers = {k: v for k, v in found.headers.items() if k.lower() != "content-length"}
        route.fulfill(status=found.status_code, headers=headers, body=found.get_data())

    return answer


def test_branded_pages_are_axe_clean_at_375_px(page: Page) -> None:
    page.route(f"{SITE}/**", served_by(BrandWorld().app.test_client()))  # type: ignore[arg-type]
    page.set_viewport_size({"width": 375, "height": 667})
    for path in PAGES:
        page.goto(SITE + path)
        scroll_width, client_width = page.evaluate(PAGE_WIDTHS)
        assert scroll_width <= client_width, path
        assert violations(page) == [], path


@pytest.mark.parametrize(("scheme", "accent"), [("light", "#7b1fa2"), ("dark", "#ce93d8")])
def test_the_csp_lets_the_brands_stylesheet_apply(page: Page, scheme: str, accent: str) -> None:
    """Each scheme's accent is the brand's (axe's contrast check reads the dark scheme's
    colours on a white canvas, so it is run on the light one, as for every page)."""
    page.route(f"{SITE}/**", served_by(BrandWorld().app.test_client()))  # type: ignore[arg-type]
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    page.goto(SITE + "/sign-in?brand=acme")
    shown = page.evaluate(
        "() => getComputedStyle(document.documentElement).getPropertyValue('--accent')"
    )
    assert shown.strip() == accent
