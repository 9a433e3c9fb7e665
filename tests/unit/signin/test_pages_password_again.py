"""A refused form never sends a typed password back into the page (docs/pages.md): each
password field the person had filled, and that has no message of its own, says to type it
again, in the reader's language; a field that was empty says nothing."""

from __future__ import annotations

import re

import pytest

from tests.support.api import PASSWORD as REGISTERED
from tests.support.api import register
from tests.support.app import World
from tests.support.pages import PASSWORD, csrf, sign_up

pytestmark = pytest.mark.unit

AGAIN = {
    "en": "Type the password again: it is never sent back to this page.",
    "es": "Vuelve a escribir la contraseña: nunca se devuelve a esta página.",
}


def described(html: str, field_id: str) -> str | None:
    found = re.search(rf'<input id="{field_id}"[^>]*aria-describedby="([^"]+)"', html)
    return found.group(1) if found else None


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_refused_sign_up_asks_for_the_password_again(language: str) -> None:
    world = World()
    sign_up(world, "alice")
    world.client.post("/sign-out", data={"csrf_token": csrf(world.client, "/account")})
    world.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    form = {"username": "alice", "email": "other@example.com", "password": PASSWORD}
    answer = world.client.post("/sign-up", data={**form, "csrf_token": csrf(world.client)})
    assert answer.status_code == 409
    html = answer.get_data(as_text=True)
    assert PASSWORD not in html
    assert AGAIN[language] in html
    assert described(html, "password") == "password-again"
    assert 'value="other@example.com"' in html  # what is not secret is kept


def test_only_the_password_fields_that_were_typed_and_have_no_message_say_it() -> None:
    world = World()
    sign_up(world, "alice")
    token = csrf(world.client, "/account/security")
    form = {"current_password": PASSWORD, "new_password": "short", "csrf_token": token}
    html = world.client.post("/account/password", data=form).get_data(as_text=True)
    assert described(html, "password-current_password") == "password-current_password-again"
    assert described(html, "password-new_password") == "password-new_password-error"
    assert html.count(AGAIN["en"]) == 1
    # Nothing typed: nothing to say.
    form = {"current_password": "", "new_password": "", "csrf_token": token}
    html = world.client.post("/account/password", data=form).get_data(as_text=True)
    assert AGAIN["en"] not in html


@pytest.mark.parametrize(
    ("state", "said"),
    [("disabled", "This account is disabled."), ("unproven", "Verify your e-mail address first.")],
)
def test_a_sign_in_refused_for_the_accounts_state_does_not_ask_for_the_password(
    state: str, said: str
) -> None:
    """The password was right: typing it again would change nothing."""
    world = World(require_verified_email=state == "unproven")
    register(world.client, "alice")
    if state == "disabled":
        assert world.app.test_cli_runner().invoke(args=["users", "disable", "alice"]).exit_code == 0
    form = {
        "username": "alice",
        "password": REGISTERED,
        "csrf_token": csrf(world.client, "/sign-in"),
    }
    answer = world.client.post("/sign-in", data=form)
    assert answer.status_code == 403
    html = answer.get_data(as_text=True)
    assert said in html and AGAIN["en"] not in html
    assert described(html, "password") is None
    # A wrong password still asks for it again: that refusal is of what was typed.
    form["password"] = REGISTERED + "x"
    html = world.client.post("/sign-in", data=form).get_data(as_text=True)
    assert AGAIN["en"] in html
