"""The ``phone`` scope through the provider on the Firestore emulator: an app's ID token and
userinfo carry the account's stored number and its proof, and nothing of a number for an
account without one (docs/reference/phone.md, "Claims and tokens")."""

from __future__ import annotations

from typing import Any

import pytest

from bootstrap import build_adapters
from bootstrap.accounts import AccountsAdapters
from domain.accounts.identities import PhoneNumber
from infrastructure.firestore.accounts.users import PHONE_NUMBERS
from tests.support.app import app_on
from tests.support.oauth import EmulatorWorld, claims
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e
NUMBER = "+33612345678"


def test_an_apps_id_token_and_userinfo_carry_the_number_the_phone_scope_releases(
    firestore: Any,
) -> None:
    settings = make_settings()
    adapters = build_adapters(settings, firestore=firestore)
    world = EmulatorWorld(app_on(settings, adapters))
    meta = world.client.get("/.well-known/openid-configuration").get_json()
    assert "phone" in meta["scopes_supported"]
    assert {"phone_number", "phone_number_verified"} <= set(meta["claims_supported"])

    app = world.register()
    tokens = world.tokens(app, scope="openid phone")
    alice = claims(world, tokens["id_token"])["sub"]
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    for found in (claims(world, tokens["id_token"]), world.client.get(
            "/oauth/userinfo", headers=bearer).get_json()):  # fmt: skip
        assert found["sub"] == alice
        assert "phone_number" not in found and "phone_number_verified" not in found

    now = adapters.platform.clock.now()
    adapters.of(AccountsAdapters).users.update(
        alice, lambda user: user.with_part(PhoneNumber.proven_as(NUMBER), now)
    )
    assert firestore.collection(PHONE_NUMBERS).document(NUMBER).get().get("user_id") == alice
    tokens = world.tokens(app, scope="openid phone")
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    info = world.client.get("/oauth/userinfo", headers=bearer).get_json()
    for found in (claims(world, tokens["id_token"]), info):
        assert (found["phone_number"], found["phone_number_verified"]) == (NUMBER, True)
        assert "email" not in found
    tokens = world.tokens(app, scope="openid email")
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert "phone_number" not in world.client.get("/oauth/userinfo", headers=bearer).get_json()
