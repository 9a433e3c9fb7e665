"""An API resource's ``min_acr`` (docs/reference/acr.md,
docs/decisions/0574-an-api-resources-min-acr.md): a person's token for it only of a sign-in
of that class or above, refused at the token endpoint otherwise; introspection answers the
token's ``acr``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from application.clients.services import ClientServices
from domain.clients.api_resources import ApiResource, ApiScope
from domain.errors import InvalidInput
from domain.signin.acr import MFA, PHR, PWD
from tests.support.admin_pages import post, root
from tests.support.oauth import OAuthWorld, claims

pytestmark = pytest.mark.unit
__all__ = ["root"]  # the fixture: an admin's browser
STRONG = "https://strong.example.com/"
PLAIN = "https://plain.example.com/"
NOW = datetime(2031, 1, 1, tzinfo=UTC)


def cli(world: OAuthWorld, *args: str) -> tuple[int, str]:
    result = world.app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


@pytest.fixture
def world() -> OAuthWorld:
    found = OAuthWorld()
    for uri, name, extra in [(STRONG, "s:read", ("--min-acr", MFA)), (PLAIN, "p:read", ())]:
        code, output = cli(
            found, "resources", "add", uri, "--scope", name, "--description", name, "Read", *extra
        )
        assert code == 0, output
        if extra:
            assert json.loads(output)["min_acr"] == MFA
    return found


@pytest.fixture
def app(world: OAuthWorld) -> dict[str, Any]:
    return world.register(
        "--confidential", "--resource-scope", "s:read", "--resource-scope", "p:read"
    )


def test_a_min_acr_is_one_of_the_classes() -> None:
    read = ApiScope.new("r", "Read")
    assert ApiResource.new(STRONG, [read], NOW, min_acr=PHR).min_acr == PHR
    with pytest.raises(InvalidInput) as refused:
        ApiResource.new(STRONG, [read], NOW, min_acr="urn:other")
    assert refused.value.code == "invalid_min_acr"


def test_the_cli_refuses_an_unknown_class(world: OAuthWorld) -> None:
    code, output = cli(
        world,
        "resources",
        "add",
        "https://x.example.com/",
        "--scope",
        "x",
        "--description",
        "x",
        "X",
        "--min-acr",
        "gold",
    )
    assert code == 1 and "urn:firegate:acr:pwd" in output, output


def test_a_token_of_a_sign_in_below_the_resources_min_acr_is_refused(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    code, verifier = world.code(app["client_id"], scope="openid s:read", resource=STRONG)
    refused = world.exchange(app, code, verifier, resource=STRONG)
    assert refused.status_code == 400, refused.get_json()
    assert refused.get_json()["error"] == "invalid_grant"
    assert MFA in refused.get_json()["error_description"]


def test_a_token_for_a_resource_with_no_min_acr_carries_and_introspects_the_acr(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    tokens = world.tokens(app, scope="openid p:read", resource=PLAIN)
    assert claims(world, tokens["access_token"])["acr"] == PWD
    seen = world.client.post(
        "/oauth/introspect",
        data={"token": tokens["access_token"]},
        auth=(app["client_id"], app["client_secret"]),
    )
    assert seen.get_json()["active"] is True and seen.get_json()["acr"] == PWD


def test_an_admin_sets_a_min_acr_on_admin_in_both_languages(
    world: OAuthWorld, root: FlaskClient
) -> None:
    pay, other, lines = "https://pay.example.com/", "https://other.example.com/", "pay | Pay"
    status, where, _ = post(root, "/admin/resources", "/admin", uri=pay, scopes=lines, min_acr=PHR)
    assert (status, where) == (303, "/admin#resources")
    registry = world.services.of(ClientServices).resources
    assert {found.uri: found.min_acr for found in registry.list_resources()}[pay] == PHR
    assert f"Sign-in at least: {PHR}" in root.get("/admin").get_data(as_text=True)
    spanish = root.get("/admin", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert f"Inicio de sesión al menos: {PHR}" in spanish
    assert "Cualquier inicio de sesión" in spanish
    status, _, html = post(
        root, "/admin/resources", "/admin", uri=other, scopes=lines, min_acr="gold"
    )
    assert status == 422 and 'id="resource-min_acr-error" role="alert"' in html, html
    post(root, "/admin/resources", "/admin", uri=other, scopes=lines)  # none: any sign-in
    assert {found.uri: found.min_acr for found in registry.list_resources()}[other] is None
