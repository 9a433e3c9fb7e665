"""The phone unit's claims in every kind of token (docs/reference/phone.md, "Claims and
tokens"): a person with a proven number, as tests/unit/test_token_claims.py pins the core's
claims of each kind."""

from __future__ import annotations

import json

import pytest

from domain.accounts.identities import PhoneNumber
from domain.signin.acr import PWD
from tests.support.oauth import OAuthWorld, claims
from tests.support.token_claims import (
    ID_TOKEN,
    INTROSPECTION,
    PROVIDER,
    SESSION,
    alice,
    custom,
    introspect,
    payload,
    refreshed,
    session_pair,
    userinfo,
)
from tests.support.token_exchange import API

pytestmark = pytest.mark.unit
NUMBER = "+15005550006"


def test_a_person_with_a_phone_number() -> None:
    world = OAuthWorld()
    user_id = alice(world)
    store = world.store
    proven = PhoneNumber.proven_as(NUMBER)
    store.users[user_id] = store.users[user_id].with_part(proven, world.clock.now())
    store.phone_numbers[NUMBER] = user_id
    pair = session_pair(world)
    access = payload(pair["access_token"])
    assert set(access) == SESSION | {"amr", "acr"} and access["acr"] == PWD
    assert set(payload(refreshed(world, pair["refresh_token"])["access_token"])) == set(access)
    assert custom(world, pair["access_token"]) == {
        "role": "user",
        "token_version": 0,
        "phone_number": NUMBER,
        "sign_in_acr": PWD,
    }

    app = world.register()
    tokens = world.tokens(app, scope="openid phone offline_access", resource=API)
    id_token = claims(world, tokens["id_token"])
    assert set(id_token) == ID_TOKEN | {"phone_number", "phone_number_verified"}
    assert (id_token["phone_number"], id_token["phone_number_verified"]) == (NUMBER, True)
    provider = claims(world, tokens["access_token"])
    assert set(provider) == PROVIDER and provider["acr"] == PWD
    assert userinfo(world, tokens["access_token"]) == {
        "sub": user_id,
        "phone_number": NUMBER,
        "phone_number_verified": True,
    }
    assert set(introspect(world, tokens["access_token"])) == INTROSPECTION
    again = world.post_token(app, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert again.status_code == 200, again.get_json()
    # a refresh's token carries the sign-in its grant keeps
    # (docs/decisions/0802-a-provider-grant-keeps-its-sign-in.md)
    assert set(claims(world, again.get_json()["access_token"])) == PROVIDER
    assert "id_token" not in again.get_json()

    # the claims request asks acr of userinfo, where no scope gives it
    asked = json.dumps({"userinfo": {"acr": None, "phone_number": None}})
    tokens = world.tokens(app, scope="openid", claims=asked)
    assert userinfo(world, tokens["access_token"]) == {
        "sub": user_id,
        "phone_number": NUMBER,  # the name asked, not its scope's other one
        "acr": PWD,
    }
    assert set(claims(world, tokens["access_token"])) == PROVIDER | {"userinfo_claims"}
