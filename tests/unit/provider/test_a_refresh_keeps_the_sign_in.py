"""A refresh of the provider's grant keeps the sign-in its first token was of: the refreshed
access token carries the same ``amr``, ``acr`` and ``auth_time`` as the code's
(docs/reference/acr.md: "the session keeps its ``amr``, so refreshed tokens keep the class";
docs/decisions/0572-acr-from-the-sessions-amr.md: every token made of a session takes its
class). So a refresh for an API resource with a ``min_acr`` holds when the grant's sign-in
met it (it was refused whatever the sign-in: the grant kept no ``amr``)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from domain.signin.acr import PWD
from tests.support.oauth import OAuthWorld, claims, device_client, enter, poll, start

pytestmark = pytest.mark.unit
STRONG = "https://strong.example.com/"
SIGN_IN = ("amr", "acr", "auth_time")


def refreshed(world: OAuthWorld, app: dict[str, Any], refresh_token: str) -> dict[str, Any]:
    answer = world.post_token(app, grant_type="refresh_token", refresh_token=refresh_token)
    assert answer.status_code == 200, answer.get_json()
    found: dict[str, Any] = answer.get_json()
    return found


def test_a_refreshed_access_token_carries_the_sign_ins_amr_acr_and_auth_time() -> None:
    world = OAuthWorld()
    app = world.register()
    tokens = world.tokens(app)
    first = claims(world, tokens["access_token"])
    assert (first["amr"], first["acr"]) == (["pwd"], PWD)
    world.clock.advance(minutes=5)
    again = refreshed(world, app, tokens["refresh_token"])
    second = claims(world, again["access_token"])
    assert {name: second.get(name) for name in SIGN_IN} == {name: first[name] for name in SIGN_IN}
    third = claims(world, refreshed(world, app, again["refresh_token"])["access_token"])
    assert {name: third.get(name) for name in SIGN_IN} == {name: first[name] for name in SIGN_IN}


def test_a_device_grants_refresh_keeps_the_sign_in_too() -> None:
    world = OAuthWorld()
    tv = device_client(world)
    started = start(world, tv)
    assert enter(world, started["user_code"], decision="allow").status_code == 200
    tokens = poll(world, tv, started["device_code"]).get_json()
    first = claims(world, tokens["access_token"])
    assert (first["amr"], first["acr"]) == (["pwd"], PWD)
    second = claims(world, refreshed(world, tv, tokens["refresh_token"])["access_token"])
    assert {name: second.get(name) for name in SIGN_IN} == {name: first[name] for name in SIGN_IN}


def test_a_refresh_for_a_resource_with_a_min_acr_holds_when_the_sign_in_met_it() -> None:
    world = OAuthWorld()
    add = ["resources", "add", STRONG, "--scope", "s:read", "--description", "s:read", "Read"]
    result = world.app.test_cli_runner().invoke(args=[*add, "--min-acr", PWD])
    assert result.exit_code == 0 and json.loads(result.output)["min_acr"] == PWD, result.output
    app = world.register("--confidential", "--resource-scope", "s:read")
    scope = "openid offline_access s:read"
    code, verifier = world.code(app["client_id"], scope=scope, resource=STRONG)
    answer = world.exchange(app, code, verifier, resource=STRONG)
    assert answer.status_code == 200, answer.get_json()
    again = refreshed(world, app, answer.get_json()["refresh_token"])
    assert claims(world, again["access_token"])["acr"] == PWD
