"""Branding an operator sets without forking (docs/configuration.md#branding): the name, a
logo served by firegate or inlined, the light scheme's colour and an address for help, on
every page and in the mails; the CSP still allows exactly the inlined stylesheet."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from pydantic import ValidationError

from tests.support.admin_pages import browser
from tests.support.app import World
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit
LOGO = (
    "data:image/svg+xml;base64,"
    + base64.b64encode(b"<svg xmlns='http://www.w3.org/2000/svg'/>").decode()
)
BRAND = {
    "site_name": "Acme ID",
    "site_logo_url": LOGO,
    "brand_color": "#7B1FA2",
    "support_email": "help@acme.example",
}
PAGES = ("/sign-in", "/sign-up", "/forgot-password", "/reset-password?token=x", "/not-me?token=x")
SIGNED_IN = ("/account", "/account/security", "/account/devices", "/account/delete")


def style_allowed(answer: object) -> bool:
    """The page's one <style> is the one its CSP names by hash."""
    html = answer.get_data(as_text=True)  # type: ignore[attr-defined]
    (style,) = re.findall(r"<style>(.*?)</style>", html, re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    return f"style-src 'sha256-{digest}'" in answer.headers["Content-Security-Policy"]  # type: ignore[attr-defined]


def test_every_page_wears_the_brand() -> None:
    world = World(**BRAND)
    alice = browser(world, "alice")
    for path in PAGES + SIGNED_IN:
        client = alice if path.startswith("/account") else world.app.test_client()
        answer = client.get(path)
        html = answer.get_data(as_text=True)
        assert answer.status_code == 200, path
        assert "· Acme ID</title>" in html, path
        assert f'<img src="{LOGO}" alt="" width="32" height="32">Acme ID</a>' in html, path
        assert "--accent: #7b1fa2" in html, path  # the light scheme's; the dark keeps its own
        assert (
            'Need help? Write to <a href="mailto:help@acme.example">help@acme.example</a>.' in html
        ), path
        assert html.count("<footer>") == 1, path  # one footer, the language switch's too
        assert style_allowed(answer), path
    spanish = world.app.test_client().get("/sign-in", headers={"Accept-Language": "es"})
    assert "¿Necesitas ayuda? Escribe a" in spanish.get_data(as_text=True)


def test_the_mails_carry_the_support_address() -> None:
    world = World(**BRAND)
    browser(world, "alice")
    world.deliver()
    (mail,) = world.mailer.to("alice@example.com")
    assert mail.text.rstrip().endswith("Need help? Write to help@acme.example.")
    assert "Need help? Write to help@acme.example." in mail.html
    assert "Acme ID" in mail.text


def test_unbranded_pages_and_mails_say_nothing_of_it() -> None:
    world = World()
    browser(world, "alice")
    answer = world.app.test_client().get("/sign-in")
    html = answer.get_data(as_text=True)
    assert "<img" not in html and "Need help?" not in html and "--accent: #0b57d0" in html
    assert style_allowed(answer)
    world.deliver()
    (mail,) = world.mailer.to("alice@example.com")
    assert "Need help?" not in mail.text + mail.html


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("site_logo_url", "https://cdn.example/logo.png"),  # the CSP allows no other host
        ("site_logo_url", "//cdn.example/logo.png"),
        ("site_logo_url", "javascript:alert(1)"),
        ("brand_color", "#ffd600"),  # too light for white text: 1.4:1
        ("brand_color", "purple"),
        ("brand_color", "#7b1fa"),
        ("support_email", "not an address"),
    ],
)
def test_a_brand_the_pages_could_not_show_is_refused_at_start(setting: str, value: str) -> None:
    with pytest.raises(ValidationError, match=setting.upper()):
        make_settings(**{setting: value})


def test_a_logo_served_by_firegate_is_a_path_of_this_site() -> None:
    branding = make_settings(site_logo_url="/static/pages/logo.svg").branding
    assert branding.site_logo_url.startswith("/")
