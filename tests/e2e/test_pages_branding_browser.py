"""An operator's brand on the pages, in a real browser under the pages' CSP (docs/pages.md,
docs/configuration.md "Branding"): the site's name, a data: logo that loads, the brand
colour on the buttons (the inlined stylesheet still matches the CSP's hash) and the support
address in the footer; the dark scheme keeps its own accent."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.browser import browser_context
from tests.support.servers import serving

pytestmark = pytest.mark.e2e

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32">'
    b'<rect width="32" height="32"/></svg>'
)
BRAND = {
    "SITE_NAME": "Acme ID",
    "SITE_LOGO_URL": "data:image/svg+xml;base64," + base64.b64encode(SVG).decode(),
    "BRAND_COLOR": "#0b6e4f",  # 6.2:1 against white
    "SUPPORT_EMAIL": "help@acme.example",
}


@pytest.fixture(scope="module")
def branded(emulators: Any) -> Iterator[str]:
    with serving("gunicorn-branding.log", **BRAND) as url:
        yield url


@pytest.mark.parametrize(("scheme", "accent"), [("light", "rgb(11, 110, 79)"), ("dark", None)])
def test_the_brand_shows_under_the_pages_csp(branded: str, scheme: str, accent: str | None) -> None:
    refused: list[str] = []
    with browser_context(color_scheme=scheme) as context:
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                refused.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        page.goto(branded + "/sign-in")
        assert "Acme ID" in page.inner_text("header")
        logo = page.locator("header img").first
        assert logo.evaluate("(img) => img.complete && img.naturalWidth") == 32
        assert "help@acme.example" in page.inner_text("footer")
        background = page.locator("main button[type=submit]").first.evaluate(
            "(node) => getComputedStyle(node).backgroundColor"
        )
    assert refused == []
    if accent is not None:
        assert background == accent
    else:
        assert background == "rgb(168, 199, 250)"  # the dark scheme's own accent
