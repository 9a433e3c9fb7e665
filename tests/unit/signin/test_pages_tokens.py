"""The account area's personal access tokens (/account/apps; docs/reference/tokens.md):
made there and shown once, listed, revoked, refused without the CSRF token."""

from __future__ import annotations

import html as markup
import re

import pytest

from tests.support.account_pages import api_works, html_of, send, world
from tests.support.app import World

pytestmark = pytest.mark.unit
__all__ = ["world"]


def test_a_token_is_made_shown_once_listed_and_revoked(world: World) -> None:
    form = {"name": "backup", "scope": "read", "expires_in": "2592000"}
    made = html_of(send(world, "/account/tokens", form))
    match = re.search(r'<code id="new-token">(fgp_[^<]+)</code>', made)
    assert match, made
    token = markup.unescape(match[1])
    assert "Copy it now: it is not shown again." in made
    assert api_works(world, token)
    listed = html_of(world.client.get("/account/apps"))
    assert "backup" in listed and token not in listed and "read only" in listed
    [token_id] = re.findall(r'name="token_id" value="([^"]+)"', listed)
    answer = send(world, "/account/tokens/revoke", {"token_id": token_id})
    assert answer.headers["Location"] == "/account/apps?done=token-revoked"
    assert not api_works(world, token)
    after = html_of(world.client.get(answer.headers["Location"]))
    assert "The token is revoked: it no longer works." in after
    assert "You have no personal access tokens." in after


def test_a_refused_token_shows_why_and_makes_none(world: World) -> None:
    form = {"name": "   ", "scope": "read", "expires_in": "2592000"}
    refused = send(world, "/account/tokens", form)
    assert refused.status_code == 422
    assert 'id="token-create-name-error"' in html_of(refused)
    assert world.store.personal_tokens == {}


def test_making_a_token_needs_the_csrf_token(world: World) -> None:
    form = {"name": "x", "scope": "write", "expires_in": "604800"}
    assert world.client.post("/account/tokens", data=form).status_code == 403
    assert world.store.personal_tokens == {}


def test_the_section_speaks_spanish(world: World) -> None:
    world.client.set_cookie("lang", "es")
    page = html_of(world.client.get("/account/apps", headers={"Accept-Language": "es"}))
    assert "Tokens de acceso personal" in page and "Crear un token" in page
