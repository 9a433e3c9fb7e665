"""The challenge's widget on the pages (docs/security.md, "A challenge on signals"): its
script and the CSP's origins only when a provider is configured; the sign-in page shows no
widget until a signal fires."""

from __future__ import annotations

import pytest

from bootstrap.accounts_driving import challenge_widget
from infrastructure.accounts.challenge_providers import TURNSTILE_SCRIPT_URL
from interfaces.web.rendering import styled
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit
TURNSTILE = {
    "challenge_provider": "turnstile",
    "challenge_site_key": "k",
    "challenge_secret": "s",
}


def test_no_provider_no_script_and_the_csp_as_it_is() -> None:
    assert challenge_widget(make_settings()) == ("", ())
    assert "frame-src" not in styled().csp
    assert "script-src 'self';" in styled().csp


def test_a_provider_adds_its_origin_to_the_csp() -> None:
    script, origins = challenge_widget(make_settings(**TURNSTILE))
    assert (script, origins) == (TURNSTILE_SCRIPT_URL, ("https://challenges.cloudflare.com",))
    csp = styled("", origins).csp
    assert "script-src 'self' https://challenges.cloudflare.com;" in csp
    assert "frame-src https://challenges.cloudflare.com" in csp


def test_a_stand_in_script_brings_only_its_own_origin() -> None:
    settings = make_settings(**TURNSTILE, challenge_script_url="http://127.0.0.1:9/widget.js")
    assert challenge_widget(settings) == ("http://127.0.0.1:9/widget.js", ("http://127.0.0.1:9",))


def test_a_provider_needs_its_keys() -> None:
    with pytest.raises(ValueError, match="CHALLENGE_SITE_KEY and CHALLENGE_SECRET"):
        make_settings(challenge_provider="turnstile")
