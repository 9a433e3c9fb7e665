"""On an org's active sign-in host, the tokens are the service's as on its own host: the same
issuer, and Firebase custom tokens with the same claims (docs/reference/org-sign-in-domain.md,
"The hosts served")."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from bootstrap.adapters import Adapters
from infrastructure.settings import Settings
from tests.fakes.federation import FakeCustomTokens
from tests.support.api import PASSWORD, bearer
from tests.support.custom_tokens import PATH, adapters, custom_tokens, payload
from tests.support.settings import make_settings
from tests.unit.org_brand.test_sign_in_hosts import (
    HOST,
    TARGET,
    active_host,
    signed_in,
    verified_org,
)

pytestmark = pytest.mark.unit
__all__ = ["adapters", "custom_tokens"]  # the fixtures: the route's fake token minter


@pytest.fixture
def app_settings() -> Settings:
    return make_settings(org_host_target=TARGET)


def test_a_firebase_custom_token_is_the_same_on_an_org_host(
    client: FlaskClient, adapters: Adapters, custom_tokens: FakeCustomTokens
) -> None:
    alice = signed_in(client, "alice")
    org = verified_org(client, adapters, alice, "acme", "acme.test")
    active_host(client, adapters, alice, org)
    base = f"http://{HOST}/"
    login = {"username": "alice", "password": PASSWORD}
    on_host = client.post("/login", json=login, base_url=base).get_json()["access_token"]
    own = client.post("/login", json=login).get_json()["access_token"]
    there = client.post(PATH, headers=bearer(on_host), base_url=base)
    here = client.post(PATH, headers=bearer(own))
    assert there.status_code == here.status_code == 200, there.get_json()
    minted, mine = (
        payload(there.get_json()["custom_token"]),
        payload(here.get_json()["custom_token"]),
    )
    assert (minted["uid"], minted["aud"], minted["claims"]) == (
        mine["uid"],
        mine["aud"],
        mine["claims"],
    )
