"""Every page form that counts against an API route's per-address limit (the units'
``Pages.limited_as``, docs/pages.md): refused by the limit before its route runs, it comes
back as its own form with the message, when to try again, and ``Retry-After``, never as a
bare error page."""

from __future__ import annotations

import pytest

from bootstrap.units import unit_pages
from interfaces.web import page_limits
from tests.support.app import DEFAULT_SETTINGS, World
from tests.support.pages import csrf

pytestmark = pytest.mark.unit

ONE_EACH = {
    f"rate_limit_{name}": "1/minute"
    for name in (
        "register",
        "login",
        "email_verify",
        "password_forgot",
        "password_reset",
        "passkeys",
        "email_code",
        "phone_code",
        "sso_acs",
    )
}
# The pages' script's routes answer it in JSON (its own tests); the others are forms.
SCRIPTED = {"/sign-in/passkey/options", "/sign-in/passkey"}
# A mail's link: without a good token there is no form to send again; a bad token is the
# error page of these two (there is nothing to correct), the link's own page of the third.
LINKED = {"/not-me", "/orgs/join", "/sign-in/email"}
NO_FORM_PAGE = {"/not-me", "/orgs/join"}
FORMS = sorted(
    path
    for (method, path) in page_limits(unit_pages(DEFAULT_SETTINGS))
    if method == "POST" and "<" not in path and path not in SCRIPTED
)


def test_every_limited_form_is_listed() -> None:
    assert "/sign-in/email-code" in FORMS and "/sign-in" in FORMS and "/sign-up" in FORMS


@pytest.mark.parametrize("path", FORMS)
def test_a_limited_form_refused_shows_itself_with_when_to_come_back(path: str) -> None:
    world = World(**ONE_EACH)
    client = world.client
    token = csrf(client, "/sign-in")
    form = {"csrf_token": token, "email": "lea@example.com", "username": "lea"}
    client.post(path, data=form)  # whatever it answers, it counts
    answer = client.post(path, data=form)
    assert answer.status_code == 429, (path, answer.get_data(as_text=True)[:300])
    assert 1 <= int(answer.headers["Retry-After"]) <= 120
    html = answer.get_data(as_text=True)
    assert answer.mimetype == "text/html"
    assert 'role="alert"' in html and "You can try again in" in html, path
    if path not in NO_FORM_PAGE:
        assert "<title>429" not in html  # the route's page, not the error page
    if path not in LINKED:
        assert '<form method="post"' in html and 'name="csrf_token"' in html, path
