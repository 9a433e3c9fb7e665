"""The challenge's widget on the pages, in Chromium under gunicorn on the emulators, in
English and Spanish (docs/security.md, "A challenge on signals"): the sign-in page shows no
widget until the account's failed sign-ins reach half their budget; then it shows the
provider's widget (a local stand-in of Turnstile's script, whose origin the CSP allows), whose
token signs the person in. axe finds nothing serious on the challenged page."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.browser import chromium, fill, signed_up, violations
from tests.support.challenge_verifier import Verifier, challenge_verifier
from tests.support.servers import serving

pytestmark = pytest.mark.e2e
WORDS = {
    "en": ("en-US", "Sign in", "Complete the check below, then send the form again."),
    "es": ("es-ES", "Iniciar sesión", "Completa la verificación de abajo y vuelve a enviar"),
}


@pytest.fixture(scope="module")
def verifier() -> Iterator[Verifier]:
    with challenge_verifier(hostname="localhost") as running:  # PUBLIC_URL's host, locally
        yield running


@pytest.fixture(scope="module")
def base(emulators: Any, verifier: Verifier) -> Iterator[str]:
    with serving(
        "gunicorn-challenge.log",
        CHALLENGE_PROVIDER="turnstile",
        CHALLENGE_SITE_KEY="site-key",
        CHALLENGE_SECRET="test-secret",
        CHALLENGE_VERIFY_URL=verifier.url + "/turnstile",
        CHALLENGE_SCRIPT_URL=verifier.url + "/widget.js",
    ) as url:
        yield url


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_widget_shows_only_when_challenged_and_its_token_signs_in(
    base: str, verifier: Verifier, language: str
) -> None:
    locale, button, asked = WORDS[language]
    refused: list[str] = []
    with chromium(javascript=True, locale="en-US") as page:
        name = signed_up(page, base, prefix="c" + uuid.uuid4().hex[:4])
    with chromium(javascript=True, locale=locale) as page:
        page.on(
            "console",
            lambda message: (
                refused.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        shown = page.goto(base + "/sign-in")
        assert shown is not None
        assert f"script-src 'self' {verifier.url}" in shown.headers["content-security-policy"]
        for _ in range(5):  # mistyped: no widget yet
            fill(page, username=name, password="not the password at all")
            page.get_by_role("button", name=button, exact=True).click()
            assert page.locator("#challenge").count() == 0
        fill(page, username=name, password="correct horse battery staple")
        page.get_by_role("button", name=button, exact=True).click()
        assert asked in page.inner_text("main")
        page.wait_for_function("() => document.getElementById('challenge-token').value !== ''")
        assert page.locator("#challenge").inner_text() == "Verified (stand-in)"
        assert violations(page) == []
        fill(page, password="correct horse battery staple")
        page.get_by_role("button", name=button, exact=True).click()
        page.wait_for_url(base + "/account")
    assert refused == []
    assert [a["remoteip"] for a in verifier.asked if str(a["response"]).endswith("-login")]
