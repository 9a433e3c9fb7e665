"""The device authorization grant (RFC 8628) and the clients that opt in to it, through
Flask's test client on the fakes (docs/reference/oauth.md, "Device authorization")."""

from __future__ import annotations

import json

import pytest

from domain.oauth import DEVICE_CODE, TOKEN_EXCHANGE
from tests.unit.oauth_world import OAuthWorld

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> OAuthWorld:
    return OAuthWorld()


def test_clients_create_takes_grants_by_short_name_and_clients_list_shows_them(
    world: OAuthWorld,
) -> None:
    made = world.register("--confidential", "--grant", "device_code", "--grant", "token_exchange")
    assert made["grants"] == [DEVICE_CODE, TOKEN_EXCHANGE]
    listed = world.app.test_cli_runner().invoke(args=["clients", "list"])
    assert json.loads(listed.output)[-1]["grants"] == [DEVICE_CODE, TOKEN_EXCHANGE]
    assert world.register()["grants"] == []
    runner = world.app.test_cli_runner()
    public = ["clients", "create", "--name", "P", "--redirect-uri", "http://127.0.0.1/cb"]
    refused = runner.invoke(args=[*public, "--grant", "token_exchange"])
    assert refused.exit_code != 0 and "confidential" in refused.output
    unknown = runner.invoke(args=[*public, "--grant", "implicit"])
    assert unknown.exit_code != 0 and "implicit" in unknown.output
