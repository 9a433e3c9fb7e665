"""A ``before_sign_in`` hook's verdict on the sign-in page (docs/pages.md, "Signing in"): the
password was right, so the page does not blame it. A deny shows the hook's message, a
required factor says what it needs, the typed username stays in its field, and the password
field asks for nothing ("Type the password again" is for a refusal of what was typed), in
both languages; a wrong password still asks for it again."""

from __future__ import annotations

import re

import pytest

from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from bootstrap.hooks import HooksAdapters
from tests.fakes.hooks import FakeHookClient
from tests.support.api import PASSWORD, register
from tests.support.app import World
from tests.support.pages import csrf
from tests.support.passkey_authenticator import add_passkey
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit
AGAIN = {
    "en": "Type the password again: it is never sent back to this page.",
    "es": "Vuelve a escribir la contraseña: nunca se devuelve a esta página.",
}
DENY = {"decision": "deny", "message": "Not from this network."}
# Each verdict the hook can give a right password, and what the page says of it
VERDICTS = {
    "deny": (
        DENY,
        {
            "en": "This sign-in was refused. The service says: “Not from this network.”",
            "es": "Se ha rechazado este inicio de sesión. El servicio dice: "
            "«Not from this network.»",
        },
    ),
    "factor_unavailable": (
        {"decision": "require", "require": ["otp"]},
        {
            "en": "This sign-in needs an authenticator app, which this account does not have.",
            "es": "Este inicio de sesión necesita una aplicación de autenticación",
        },
    ),
    "passkey_required": (
        {"decision": "require", "require": ["passkey"]},
        {
            "en": "This sign-in needs your passkey: sign in with it.",
            "es": "Este inicio de sesión necesita tu llave de acceso",
        },
    ),
}
# The sign-in form's ways to be posted: plain, and asked to sign in again by an app
NEXTS = ["", "?next=%2Faccount&again=1"]


@pytest.fixture
def world() -> World:
    w = World(app_profile="local")
    register(w.client, "alice")
    return w


def hooked(world: World, answer: object) -> None:
    world.services.of(HookServices).hooks.set(
        SetAuthHook(ADMIN, "before_sign_in", "http://127.0.0.1:9/h")
    )
    client = world.adapters.of(HooksAdapters).hook_client
    assert isinstance(client, FakeHookClient)
    client.answer = answer


def password_input(html: str) -> str:
    found = re.search(r'<input id="password"[^>]*>', html)
    assert found is not None, html
    return found.group(0)


def posted(world: World, language: str, query: str, password: str = PASSWORD) -> tuple[int, str]:
    client = world.client
    client.set_cookie("locale", language)
    form = {"username": "alice", "password": password, "csrf_token": csrf(client, "/sign-in")}
    answer = client.post("/sign-in" + query, data=form, headers={"Accept-Language": language})
    return answer.status_code, answer.get_data(as_text=True).replace("&#34;", '"')


@pytest.mark.parametrize("query", NEXTS)
@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("verdict", list(VERDICTS))
def test_a_verdict_on_a_right_password_keeps_the_username_and_blames_no_password(
    world: World, verdict: str, language: str, query: str
) -> None:
    answer, words = VERDICTS[verdict]
    if verdict == "passkey_required":
        pair = world.client.post("/login", json={"username": "alice", "password": PASSWORD})
        add_passkey(world.client, pair.get_json()["access_token"])
        world.clock.advance(seconds=60)
    hooked(world, answer)
    status, html = posted(world, language, query)
    assert status == 403
    alert = re.search(r'<p class="error" role="alert">([^<]*)</p>', html)
    assert alert is not None and words[language] in alert.group(1), html
    assert re.search(r'<input id="username"[^>]*value="alice"', html)
    assert AGAIN[language] not in html
    field = password_input(html)
    assert "aria-invalid" not in field and "aria-describedby" not in field
    assert PASSWORD not in html


def test_a_wrong_password_is_still_asked_again(world: World) -> None:
    hooked(world, DENY)
    status, html = posted(world, "en", "", password="not the password at all")
    assert status == 401
    assert AGAIN["en"] in html and 'aria-describedby="password-again"' in password_input(html)
