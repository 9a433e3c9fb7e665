"""The claims of a session of support access's tokens, pinned (tests/unit/test_token_claims.py
pins the others'): ``act`` in every token of the session, the provider's and introspection's,
``impersonation_ends`` in its Firebase custom token; both reserved, which no hook or profile
attribute may set."""

from __future__ import annotations

from typing import Any

from application.provider.services import ProviderServices
from domain.signin.acr import PWD
from tests.support.api import admin_token
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
    renewed,
    userinfo,
)
from tests.support.token_exchange import API


def act_as_alice(world: OAuthWorld) -> tuple[str, dict[str, Any]]:
    """A session of support access of alice, in the browser and as a pair: the admin's id."""
    api = world.app.test_client()
    root = admin_token(world.app, api)
    root_id: str = api.get("/user", headers=root).get_json()["id"]
    started = api.post(
        f"/admin/users/{alice(world)}/impersonate",
        json={"reason": "Ticket 4711: the export page shows nothing", "minutes": 10},
        headers=root,
    )
    assert started.status_code == 201, started.get_json()
    pair: dict[str, Any] = started.get_json()
    world.client = world.app.test_client()
    name = world.app.extensions["firegate.pages"].cookie("session")
    world.client.set_cookie(name, f"{pair['access_token']}~{pair['refresh_token']}")
    return root_id, pair


def test_a_session_of_support_access() -> None:
    world = OAuthWorld()
    app = world.register()
    world.tokens(app, resource=API)  # alice consents in her own session
    root_id, pair = act_as_alice(world)
    act = {"sub": root_id}
    access = payload(pair["access_token"])
    assert set(access) == SESSION | {"amr", "acr", "act"} and access["act"] == act
    assert (access["amr"], access["acr"]) == (["imp"], PWD)
    again = refreshed(world, pair["refresh_token"])
    assert payload(again["access_token"])["act"] == act
    assert set(payload(again["access_token"])) == set(access)
    assert set(payload(renewed(world, again["access_token"])["access_token"])) == set(access)
    found = custom(world, again["access_token"])
    ends = found.pop("impersonation_ends")
    assert isinstance(ends, int) and ends <= world.clock.now().timestamp() + 600
    assert found == {"role": "user", "token_version": 0, "act": act, "sign_in_acr": PWD}

    tokens = world.tokens(app, resource=API)
    provider, id_token = claims(world, tokens["access_token"]), claims(world, tokens["id_token"])
    assert set(provider) == PROVIDER | {"act"} and provider["act"] == act
    profile = {"preferred_username", "email", "email_verified", "updated_at"}
    assert set(id_token) == ID_TOKEN | {"act"} | profile
    assert id_token["act"] == act
    assert introspect(world, tokens["access_token"])["act"] == act
    assert set(introspect(world, tokens["access_token"])) == INTROSPECTION | {"act"}
    assert userinfo(world, tokens["access_token"]).keys() == {"sub"} | profile


def test_its_claims_are_reserved() -> None:
    world = OAuthWorld()
    reserved = world.services.of(ProviderServices).minting.claims.reserved
    assert {"act", "impersonation_ends"} <= reserved
