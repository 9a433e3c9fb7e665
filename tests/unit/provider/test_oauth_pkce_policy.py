"""Each client's PKCE policy (docs/reference/oauth.md, "Clients"): always for a public client;
a confidential client registered ``--pkce optional`` may go without, as RFC 9700 §2.1.1
allows (docs/decisions/0407-pkce-optional-for-confidential-clients.md), and is held to the
challenge it sends all the same."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.support.oauth import OAuthWorld, redirected

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> OAuthWorld:
    return OAuthWorld()


@pytest.fixture
def optional(world: OAuthWorld) -> dict[str, Any]:
    """A confidential client registered as the OpenID conformance suite's is."""
    return world.relying_party()


def code_without_pkce(world: OAuthWorld, client: dict[str, Any]) -> str:
    answer = world.authorize(client["client_id"], nonce="n0nce")
    if answer.status_code == 200:
        answer = world.consent(answer)
    return redirected(answer)["code"]


def test_clients_require_pkce_unless_registered_otherwise(world: OAuthWorld) -> None:
    public, confidential = world.register(), world.register("--confidential")
    assert public["pkce"] == confidential["pkce"] == "required"
    for client in (public, confidential):
        query = redirected(world.authorize(client["client_id"], nonce="n0nce"))
        assert query["error"] == "invalid_request" and "PKCE" in query["error_description"]


def test_a_public_client_may_not_go_without_pkce(world: OAuthWorld) -> None:
    spa = ("--name", "SPA", "--redirect-uri", "https://a.example/cb", "--pkce", "optional")
    result = world.app.test_cli_runner().invoke(args=["clients", "create", *spa])
    assert result.exit_code != 0
    assert "invalid_pkce_policy" in result.output or "PKCE is required" in result.output
    listed = world.app.test_cli_runner().invoke(args=["clients", "list"])
    assert json.loads(listed.output) == []


def test_a_confidential_client_with_pkce_optional_goes_without(
    world: OAuthWorld, optional: dict[str, Any]
) -> None:
    assert optional["pkce"] == "optional"
    code = code_without_pkce(world, optional)
    answer = world.post_token(
        optional, grant_type="authorization_code", code=code, redirect_uri=optional_uri(optional)
    )
    assert answer.status_code == 200, answer.get_json()
    assert {"access_token", "id_token"} <= set(answer.get_json())


def test_a_verifier_for_a_code_asked_without_a_challenge_is_refused(
    world: OAuthWorld, optional: dict[str, Any]
) -> None:
    """RFC 9700 §4.8: a PKCE downgrade (the challenge stripped, a verifier sent) is refused."""
    code = code_without_pkce(world, optional)
    answer = world.exchange(optional, code, secrets.token_urlsafe(48))
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_request"


def test_a_client_that_may_go_without_is_held_to_the_challenge_it_sends(
    world: OAuthWorld, optional: dict[str, Any]
) -> None:
    plain = world.authorize(
        optional["client_id"], code_challenge="p" * 50, code_challenge_method="plain"
    )
    assert redirected(plain)["error"] == "invalid_request"
    code, verifier = world.code(optional["client_id"])
    missing = world.post_token(
        optional, grant_type="authorization_code", code=code, redirect_uri=optional_uri(optional)
    )
    assert missing.status_code == 400 and missing.get_json()["error"] == "invalid_request"
    code, verifier = world.code(optional["client_id"])
    wrong = world.exchange(optional, code, create_s256_code_challenge(verifier) + "x")
    assert wrong.status_code == 400 and wrong.get_json()["error"] == "invalid_grant"
    code, verifier = world.code(optional["client_id"])
    assert world.exchange(optional, code, verifier).status_code == 200


def optional_uri(client: dict[str, Any]) -> str:
    uri: str = client["redirect_uris"][0]
    return uri
