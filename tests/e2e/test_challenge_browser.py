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

from tests.support.api import PASSWORD
from tests.support.browser import chromium, fill, phone_checked, signed_up, violations
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
            # The answer's page, once it has loaded (the page before has no widget either)
            with page.expect_event("load"):
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


SIGN_UP = {
    "en": ("en-US", "Create account", "Complete the check below, then send the form again.",
           "Type the password again: it is never sent back to this page."),
    "es": ("es-ES", "Crear cuenta", "Completa la verificación de abajo y vuelve a enviar",
           "Vuelve a escribir la contraseña: nunca se devuelve a esta página."),
}  # fmt: skip


def test_a_challenged_sign_up_says_to_type_the_password_again(
    firestore: Any, verifier: Verifier
) -> None:
    """Past CHALLENGE_SIGNUPS_PER_HOUR from one address the sign-up is challenged: the form
    comes back with the widget, the username and address kept, and the password field,
    empty, saying to type it again; with it typed and the check passed the account is made.
    At 375 and 1280 px, axe-clean, in English and Spanish."""
    with serving(
        "gunicorn-challenge-sign-up.log",
        CHALLENGE_PROVIDER="turnstile",
        CHALLENGE_SITE_KEY="site-key",
        CHALLENGE_SECRET="test-secret",
        CHALLENGE_VERIFY_URL=verifier.url + "/turnstile",
        CHALLENGE_SCRIPT_URL=verifier.url + "/widget.js",
        CHALLENGE_SIGNUPS_PER_HOUR="1",
        # One worker: an emulator slower than 1 s (a loaded machine) has each process count in
        # its own memory meanwhile (the counters' fall-back), and two would each count one.
        WEB_CONCURRENCY="1",
    ) as url:
        with chromium(javascript=True, locale="en-US") as page:
            signed_up(page, url, prefix="first")  # the address's one sign-up unasked
        for language, (locale, button, asked, again) in SIGN_UP.items():
            name = "s" + uuid.uuid4().hex[:10]
            with chromium(javascript=True, locale=locale) as page:
                page.goto(url + "/sign-up")
                fill(page, username=name, email=f"{name}@example.com", password=PASSWORD)
                page.get_by_role("button", name=button).click()
                assert asked in page.inner_text("main"), language
                field = page.locator("input[name=password]")
                assert field.input_value() == ""
                hint = page.locator("#" + str(field.get_attribute("aria-describedby")))
                assert hint.inner_text() == again
                assert page.locator("input[name=username]").input_value() == name
                page.wait_for_function(
                    "() => document.getElementById('challenge-token').value !== ''"
                )
                for width in (375, 1280):
                    page.set_viewport_size({"width": width, "height": 800})
                    phone_checked(page)
                fill(page, password=PASSWORD)
                page.get_by_role("button", name=button).click()
                page.wait_for_url(url + "/account")
