"""Step-up's sign-in page (docs/pages.md, "Signing in to an app"; docs/reference/acr.md): when
an app's ``acr_values`` or an API resource's ``min_acr`` asks more of this browser's sign-in
than it has, the person is sent to sign in again with their username filled in, and the page
(and its second step) says which app asks and what for, in English and Spanish. What it says
is bound to that request: another sign-in page of the browser says nothing of it."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from domain.signin.acr import MFA, PHR
from tests.support.oauth import OAuthWorld, enrolled
from tests.support.pages import PASSWORD, csrf
from tests.support.passkey_authenticator import add_passkey
from tests.support.totp import next_code

pytestmark = pytest.mark.unit
APP = "Ledger App"
STRONG = "https://strong.example.com/"
ASKS = {
    (MFA, "en"): f"{APP} asks you to confirm with your second factor or a passkey.",
    (MFA, "es"): f"{APP} te pide que confirmes con tu segundo factor o una llave de acceso.",
    (PHR, "en"): f"{APP} asks you to confirm with your passkey.",
    (PHR, "es"): f"{APP} te pide que confirmes con tu llave de acceso.",
}
AGAIN = "Sign in again to continue."


@pytest.fixture
def world() -> OAuthWorld:
    return OAuthWorld()


@pytest.fixture
def rp(world: OAuthWorld) -> dict[str, Any]:
    return world.register("--confidential", "--pkce", "optional", name=APP)


def sent_to_sign_in(world: OAuthWorld, client_id: str, **params: str) -> str:
    """The authorization request of a signed-in browser whose sign-in is below the class it
    asks: the sign-in page it is sent to, with the signed-in person's username filled in."""
    answer = world.authorize(client_id, nonce="n", **params)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    location = answer.headers["Location"]
    query = parse_qs(urlsplit(location).query)
    assert urlsplit(location).path == "/sign-in", location
    assert query["again"] == ["1"] and query["username"] == ["alice"], location
    return location


def shown(world: OAuthWorld, path: str, language: str = "en") -> str:
    answer = world.client.get(path, headers={"Accept-Language": language})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_data(as_text=True)


def notice(html: str) -> str:
    found = re.search(r'<p class="notice" role="status">([^<]*)</p>', html)
    assert found is not None, html
    return found.group(1)


@pytest.mark.parametrize("language", ["en", "es"])
def test_acr_values_for_a_second_factor_say_which_app_asks_and_fill_in_the_username(
    world: OAuthWorld, rp: dict[str, Any], language: str
) -> None:
    enrolled(world)
    sign_in = sent_to_sign_in(world, rp["client_id"], acr_values=MFA)
    html = shown(world, sign_in, language)
    assert notice(html) == ASKS[MFA, language]
    assert re.search(r'<input id="username"[^>]*value="alice"', html), html
    # The password, then the second step, which says it too
    form = {"username": "alice", "password": PASSWORD, "csrf_token": csrf(world.client)}
    first = world.client.post(sign_in, data=form)
    assert first.status_code == 303 and first.headers["Location"].startswith("/sign-in/mfa")
    assert notice(shown(world, first.headers["Location"], language)) == ASKS[MFA, language]
    # Bound to that request: the sign-in page of another says nothing of it
    other = shown(world, "/sign-in?again=1&next=%2Faccount", language)
    assert ASKS[MFA, language] not in other


def test_once_signed_in_with_the_second_factor_the_app_is_answered_and_nothing_is_said(
    world: OAuthWorld, rp: dict[str, Any]
) -> None:
    secret = enrolled(world)
    sign_in = sent_to_sign_in(world, rp["client_id"], acr_values=MFA)
    back = parse_qs(urlsplit(sign_in).query)["next"][0]
    form = {"username": "alice", "password": PASSWORD, "csrf_token": csrf(world.client)}
    second_step = world.client.post(sign_in, data=form).headers["Location"]
    code = {"code": next_code(secret, world.client), "csrf_token": csrf(world.client)}
    done = world.client.post(second_step, data=code)
    assert done.status_code == 303 and done.headers["Location"] == back
    answer = world.client.get(back)
    assert answer.status_code in (200, 302)  # the consent page, or the app's code
    again = "/sign-in?" + urlencode({"next": back, "again": "1"})
    assert notice(shown(world, again)) == AGAIN  # said until a sign-in succeeds, not after


@pytest.mark.parametrize("language", ["en", "es"])
def test_acr_values_for_a_passkey_ask_for_the_passkey(
    world: OAuthWorld, rp: dict[str, Any], language: str
) -> None:
    pair = world.client.post("/login", json={"username": "alice", "password": PASSWORD})
    add_passkey(world.client, pair.get_json()["access_token"])
    sign_in = sent_to_sign_in(world, rp["client_id"], acr_values=PHR)
    html = shown(world, sign_in, language)
    assert notice(html) == ASKS[PHR, language]
    assert re.search(r'<input id="username"[^>]*value="alice"', html), html


def test_an_api_resources_min_acr_asks_the_second_factor_at_the_authorization_endpoint(
    world: OAuthWorld,
) -> None:
    code = world.app.test_cli_runner().invoke(
        args=["resources", "add", STRONG, "--scope", "s:read", "--description", "s:read", "Read",
              "--min-acr", MFA]
    )  # fmt: skip
    assert code.exit_code == 0, code.output
    app = world.register(
        "--confidential", "--pkce", "optional", "--resource-scope", "s:read", name=APP
    )
    enrolled(world)
    sign_in = sent_to_sign_in(world, app["client_id"], scope="openid s:read", resource=STRONG)
    assert notice(shown(world, sign_in)) == ASKS[MFA, "en"]


def test_a_sign_in_again_for_another_reason_says_only_that(
    world: OAuthWorld, rp: dict[str, Any]
) -> None:
    """``prompt=login`` asks a new sign-in of anyone: no app's request for a stronger one is
    said, and no username is filled in."""
    enrolled(world)
    answer = world.authorize(rp["client_id"], nonce="n", prompt="login")
    assert answer.status_code == 303
    location = answer.headers["Location"]
    assert "username" not in parse_qs(urlsplit(location).query)
    assert notice(shown(world, location)) == AGAIN
