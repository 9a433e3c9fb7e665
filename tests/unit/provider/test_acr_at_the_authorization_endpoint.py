"""The provider honours ``acr_values``, an ``acr`` claim asked, and ``max_age`` at the
authorization endpoint (docs/reference/acr.md,
docs/decisions/0573-acr-values-at-the-authorization-endpoint.md)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from domain.signin.acr import ACR_VALUES, MFA, PHR, PWD
from tests.support.oauth import OAuthWorld, claims, enrolled, redirected
from tests.support.pages import PASSWORD, csrf
from tests.support.totp import next_code

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> OAuthWorld:
    return OAuthWorld()


@pytest.fixture
def rp(world: OAuthWorld) -> dict[str, Any]:
    return world.relying_party()


def essential(*values: str) -> str:
    return json.dumps({"id_token": {"acr": {"essential": True, "values": list(values)}}})


def test_discovery_lists_the_classes(world: OAuthWorld) -> None:
    found = world.client.get("/.well-known/openid-configuration").get_json()
    assert found["acr_values_supported"] == list(ACR_VALUES) == [PWD, MFA, PHR]
    assert "acr" in found["claims_supported"]


def test_the_id_token_carries_the_sessions_class_and_auth_time(
    world: OAuthWorld, rp: dict[str, Any]
) -> None:
    id_token = claims(world, world.rp_tokens(rp)["id_token"])
    assert id_token["acr"] == PWD and isinstance(id_token["auth_time"], int)


def test_a_class_no_factor_reaches_asked_voluntarily_gets_the_best_there_is(
    world: OAuthWorld, rp: dict[str, Any]
) -> None:
    id_token = claims(world, world.rp_tokens(rp, acr_values=MFA)["id_token"])
    assert id_token["acr"] == PWD


def test_a_class_no_factor_reaches_asked_as_essential_goes_back_unmet(
    world: OAuthWorld, rp: dict[str, Any]
) -> None:
    answer = world.authorize(rp["client_id"], nonce="n", claims=essential(MFA))
    back = redirected(answer)
    assert back["error"] == "unmet_authentication_requirements"
    assert back["state"] == "st4te"


def test_a_class_met_asks_nothing_more(world: OAuthWorld, rp: dict[str, Any]) -> None:
    id_token = claims(world, world.rp_tokens(rp, claims=essential(PWD))["id_token"])
    assert id_token["acr"] == PWD


def test_a_sign_in_below_the_class_asked_signs_in_again_with_the_second_factor(
    world: OAuthWorld, rp: dict[str, Any]
) -> None:
    secret = enrolled(world)
    answer = world.authorize(rp["client_id"], nonce="n", acr_values=f"{MFA} {PHR}")
    assert answer.status_code == 303
    location = urlsplit(answer.headers["Location"])
    assert location.path == "/sign-in", answer.headers["Location"]
    assert parse_qs(location.query).get("again") == ["1"], answer.headers["Location"]
    back = parse_qs(location.query)["next"][0]
    assert "acr_values" in back  # asked again after the new sign-in
    # with prompt=none no page may be shown: login_required
    silent = world.authorize(rp["client_id"], nonce="n", acr_values=MFA, prompt="none")
    assert redirected(silent)["error"] == "login_required"
    form = {
        "username": "alice",
        "password": PASSWORD,
        "csrf_token": csrf(world.client, "/sign-in?again=1"),
    }
    first = world.client.post("/sign-in", query_string={"next": back, "again": "1"}, data=form)
    assert first.status_code == 303 and first.headers["Location"].startswith("/sign-in/mfa")
    code = {
        "code": next_code(secret, world.client),
        "csrf_token": csrf(world.client, "/sign-in/mfa"),
    }
    second = world.client.post("/sign-in/mfa", query_string={"next": back}, data=code)
    assert second.status_code == 303 and second.headers["Location"] == back
    answer = world.client.get(back)
    if answer.status_code == 200:
        answer = world.consent(answer)
    granted = world.post_token(
        rp,
        grant_type="authorization_code",
        code=redirected(answer)["code"],
        redirect_uri="https://app.example.com/callback",
    )
    assert granted.status_code == 200, granted.get_json()
    id_token = claims(world, granted.get_json()["id_token"])
    assert id_token["acr"] == MFA and id_token["amr"] == ["pwd", "otp"]


def test_userinfo_answers_acr_where_the_claims_request_asks_it(
    world: OAuthWorld, rp: dict[str, Any]
) -> None:
    asked = json.dumps({"userinfo": {"acr": None}})
    granted = world.rp_tokens(rp, claims=asked)
    info = world.client.get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {granted['access_token']}"}
    )
    assert info.status_code == 200 and info.get_json()["acr"] == PWD
    plain = world.rp_tokens(rp)
    info = world.client.get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {plain['access_token']}"}
    )
    assert "acr" not in info.get_json()
