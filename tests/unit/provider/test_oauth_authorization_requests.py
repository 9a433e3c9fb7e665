"""The authorization endpoint's OpenID Connect parameters beyond OAuth's, on the fakes
(docs/reference/oauth.md, "GET and POST /oauth/authorize"): a request posted, ``prompt=none``
signed out, ``id_token_hint``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from tests.support.oauth import REDIRECT, SCOPE, OAuthWorld, claims, csrf_of, redirected
from tests.support.pages import sign_up

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> OAuthWorld:
    return OAuthWorld()


@pytest.fixture
def rp(world: OAuthWorld) -> dict[str, Any]:
    return world.relying_party()


def request_of(client: dict[str, Any], **params: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client["client_id"],
        "redirect_uri": REDIRECT,
        "scope": SCOPE,
        "state": "st4te",
        **params,
    }


def id_token(world: OAuthWorld, client: dict[str, Any], **params: str) -> str:
    found: str = world.rp_tokens(client, **params)["id_token"]
    return found


def test_a_posted_request_is_answered_as_the_same_request_by_get(
    world: OAuthWorld, rp: dict[str, Any]
) -> None:
    """Core §3.1.2.1: POST as well as GET, without the pages' CSRF token (the app's form has
    none); a 303 to the same request as a GET, which carries the Lax session cookie."""
    sent = request_of(rp, nonce="n0nce")
    posted = world.client.post("/oauth/authorize", data=sent)
    assert posted.status_code == 303
    location = posted.headers["Location"]
    assert location == "/oauth/authorize?" + urlencode(sent)
    page = world.client.get(location)
    assert page.status_code == 200  # the consent page, signed in
    assert redirected(world.consent(page))["state"] == "st4te"
    again = world.client.get(world.client.post("/oauth/authorize", data=sent).headers["Location"])
    assert "code" in redirected(again)  # consented: straight back to the app


def test_the_consent_form_posts_to_its_own_route_with_its_csrf_token(
    world: OAuthWorld, rp: dict[str, Any]
) -> None:
    page = world.client.get("/oauth/authorize?" + urlencode(request_of(rp)))
    html = page.get_data(as_text=True)
    assert 'action="/oauth/authorize/consent?' in html
    path = "/oauth/authorize/consent?" + urlencode(request_of(rp))
    forged = world.client.post(path, data={"decision": "allow"})
    assert forged.status_code == 403
    allowed = world.client.post(path, data={"decision": "allow", "csrf_token": csrf_of(html)})
    assert "code" in redirected(allowed)


def test_prompt_none_signed_out_answers_login_required(
    world: OAuthWorld, rp: dict[str, Any]
) -> None:
    signed_out = world.app.test_client()
    answer = signed_out.get("/oauth/authorize?" + urlencode(request_of(rp, prompt="none")))
    query = redirected(answer)
    assert query["error"] == "login_required" and query["state"] == "st4te"
    assert query["iss"] == "http://127.0.0.1:8000" and "code" not in query


def test_prompt_none_before_consent_answers_consent_required(
    world: OAuthWorld, rp: dict[str, Any]
) -> None:
    query = redirected(world.authorize(rp["client_id"], prompt="none"))
    assert query["error"] == "consent_required"


def test_an_id_token_hint_of_the_person_signed_in_answers_silently(
    world: OAuthWorld, rp: dict[str, Any]
) -> None:
    first = id_token(world, rp)
    answer = world.authorize(rp["client_id"], prompt="none", id_token_hint=first)
    query = redirected(answer)
    assert "code" in query, query
    second = id_token(world, rp, prompt="none", id_token_hint=first)
    assert claims(world, second)["sub"] == claims(world, first)["sub"]


def test_an_id_token_hint_of_another_account_is_login_required_or_a_new_sign_in(
    world: OAuthWorld, rp: dict[str, Any]
) -> None:
    mine = id_token(world, rp)
    other = OAuthWorld()
    theirs_client = other.relying_party()
    theirs = id_token(other, theirs_client)  # another provider's key: not ours
    query = redirected(world.authorize(rp["client_id"], prompt="none", id_token_hint=theirs))
    assert query["error"] == "invalid_request" and query["state"] == "st4te"
    for hint in ("not-a-jwt", mine + "x"):
        query = redirected(world.authorize(rp["client_id"], id_token_hint=hint))
        assert query["error"] == "invalid_request"
    another_client = world.relying_party("--name", "Other")
    query = redirected(world.authorize(another_client["client_id"], id_token_hint=mine))
    assert query["error"] == "invalid_request"  # issued to another client


def test_an_id_token_hint_naming_someone_else_signed_in_asks_for_a_sign_in(
    world: OAuthWorld, rp: dict[str, Any]
) -> None:
    hint = id_token(world, rp)
    world.client = world.app.test_client()  # another browser, another account
    sign_up(world, "bobby")
    query = redirected(world.authorize(rp["client_id"], prompt="none", id_token_hint=hint))
    assert query["error"] == "login_required"
    again = world.authorize(rp["client_id"], id_token_hint=hint)
    assert again.status_code == 303
    location = again.headers["Location"]
    assert location.startswith("/sign-in?") and "again=1" in location
    assert "id_token_hint" not in location  # the new sign-in answers it, whoever signs in
