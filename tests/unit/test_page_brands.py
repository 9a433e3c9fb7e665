"""The pages' brands (``PAGE_BRANDS``, docs/contributing.md "Units"): a unit asked with a
page's context may put its brand on it, the header's name and logo and the accents of both
colour schemes, with a CSP that allows exactly the branded stylesheet; a kept page is kept
per brand; no brand, the pages are the deployment's to the byte; a value that is not a
colour never reaches the stylesheet (docs/decisions/0860-page-brands.md)."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from interfaces.web.rendering import STYLE
from tests.support.app import World
from tests.support.page_brands import ASKED, BRANDS, LOGO, OPERATOR_LOGO, BrandWorld
from tests.support.pages import csrf

pytestmark = pytest.mark.unit
PAGES = ("/sign-in", "/sign-up", "/forgot-password", "/reset-password?token=x", "/sign-out")


def style_of(answer: TestResponse) -> str:
    (style,) = re.findall(r"<style>(.*?)</style>", answer.get_data(as_text=True), re.S)
    return str(style)


def style_allowed(answer: TestResponse) -> bool:
    """The page's one <style> is the one its CSP names by hash."""
    digest = base64.b64encode(hashlib.sha256(style_of(answer).encode()).digest()).decode()
    return f"style-src 'sha256-{digest}'" in answer.headers["Content-Security-Policy"]


def tokenless(answer: TestResponse) -> str:
    """The page with this browser's CSRF token taken out."""
    html = answer.get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert token is not None
    return html.replace(token.group(1), "TOKEN")


def header(answer: TestResponse) -> str:
    found = re.search(r"<header>(.*?)</header>", answer.get_data(as_text=True), re.S)
    assert found is not None
    return found.group(1)


def test_no_brand_given_the_pages_are_the_deployments_to_the_byte() -> None:
    plain, branded = World().app.test_client(), BrandWorld().app.test_client()
    for path in PAGES:
        ours, theirs = plain.get(path), branded.get(path)
        assert header(theirs).startswith('<a class="site" href="/sign-in">firegate</a>'), path
        assert style_of(theirs) == STYLE, path
        assert tokenless(theirs) == tokenless(ours), path
        assert theirs.status_code == ours.status_code, path
        csp = theirs.headers["Content-Security-Policy"]
        assert csp == ours.headers["Content-Security-Policy"], path
        assert style_allowed(theirs), path


def test_a_brand_replaces_the_headers_name_and_logo_and_the_accents() -> None:
    world = BrandWorld(site_name="Firegate ID", site_logo_url=OPERATOR_LOGO, brand_color="#0b57d0")
    client = world.app.test_client()
    for path in PAGES:
        answer = client.get(path + ("&" if "?" in path else "?") + "brand=acme")
        html = answer.get_data(as_text=True)
        assert header(answer).startswith(
            f'<a class="site" href="/sign-in"><img src="{LOGO}" alt="" width="32" height="32">'
            "Acme Corp</a>"
        ), path
        # the tab stays the operator's: the title's suffix and the icon
        assert "· Firegate ID</title>" in html, path
        assert f'<link rel="icon" href="{OPERATOR_LOGO}">' in html, path
        style = style_of(answer)
        assert "@media (prefers-color-scheme: light) { :root { --accent: #7b1fa2; } }" in style
        assert "@media (prefers-color-scheme: dark) { :root { --accent: #ce93d8; } }" in style
        assert "#0b57d0; } }" not in style, path  # the operator's accent gave way
        assert style_allowed(answer), path
    unbranded = client.get("/sign-in")  # the operator's, beside
    assert header(unbranded).startswith(
        f'<a class="site" href="/sign-in"><img src="{OPERATOR_LOGO}" alt="" width="32" '
        'height="32">Firegate ID</a>'
    )
    # A brand without a logo shows none, not the operator's; without colours, theirs stay.
    answer = client.get("/sign-in?brand=nameonly")
    assert header(answer).startswith('<a class="site" href="/sign-in">Name Only</a>')
    assert style_of(answer) == style_of(client.get("/sign-in"))
    assert style_allowed(answer)


def test_two_brands_on_one_kept_page_never_see_each_others() -> None:
    client = BrandWorld().app.test_client()
    seen: dict[str, tuple[str, str]] = {}
    for name in ("acme", "globex", "", "acme", "globex", "", "globex", "acme"):
        answer = client.get(f"/sign-in?brand={name}" if name else "/sign-in")
        shown = header(answer)
        assert "Shadow" not in shown and "#000000" not in style_of(answer)  # the first's worn
        if name:
            assert BRANDS[name].name in shown
            assert f"--accent: {BRANDS[name].color.lower()}" in style_of(answer)
        for other in {"acme", "globex"} - {name}:
            assert BRANDS[other].name not in shown, (name, other)
            assert BRANDS[other].color.lower() not in style_of(answer), (name, other)
        assert style_allowed(answer), name
        found = (tokenless(answer), answer.headers["Content-Security-Policy"])
        assert seen.setdefault(name, found) == found, name  # the same page every time
    assert len({csp for _page, csp in seen.values()}) == 3  # one policy per pair of colours


def test_a_value_that_is_not_a_colour_never_reaches_the_stylesheet() -> None:
    client = BrandWorld().app.test_client()
    plain = client.get("/sign-in")
    for path in ("/sign-in?brand=hostile", "/reset-password?token=x&brand=hostile"):
        answer = client.get(path)
        assert style_of(answer) == style_of(plain), path  # the deployment's colours
        assert answer.headers["Content-Security-Policy"] == plain.headers["Content-Security-Policy"]
        assert "&lt;b&gt;Evil&lt;/b&gt;</a>" in header(answer), path  # the name, as text
        assert "<script>alert" not in answer.get_data(as_text=True), path


def test_the_unit_is_asked_with_the_pages_context() -> None:
    client = BrandWorld().app.test_client()
    ASKED.clear()
    client.get("/sign-in?next=/account/security")
    client.get("/reset-password?token=abc")
    assert ASKED[0]["next"] == "/account/security" and ASKED[1]["token"] == "abc"


def branded_again(client: FlaskClient, path: str) -> TestResponse:
    form = {"username": "nobody", "password": "wrong password", "csrf_token": csrf(client, path)}
    return client.post(path, data=form)


def test_a_form_shown_again_and_an_error_page_wear_the_brand() -> None:
    client = BrandWorld().app.test_client()
    refused = branded_again(client, "/sign-in?brand=globex")
    assert refused.status_code == 401 and "Globex</a>" in header(refused)
    assert "--accent: #005a9c" in style_of(refused) and style_allowed(refused)
    missing = client.get("/sign-out?brand=globex")
    assert missing.status_code == 405 and "Globex</a>" in header(missing)
    assert style_allowed(missing)
