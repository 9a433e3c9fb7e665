"""The claim sources' slot (docs/contributing.md, "Units"): a claim a unit contributes goes
into exactly the kinds of token its source names, through every minting of those kinds, and
is reserved at once: no hook answer and no profile attribute may set it."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

import pytest

from application.accounts.profile_schema import ReplaceProfileSchema
from application.accounts.services import AccountServices
from application.hooks.admin import SetAuthHook
from application.hooks.admin import TestAuthHook as KitRequest
from application.hooks.services import HookServices
from application.provider.services import ProviderServices
from bootstrap.hooks import HooksAdapters
from bootstrap.unit import Placed, Unit
from domain.errors import InvalidInput
from domain.hooks.before_token import RESERVED_CLAIMS
from domain.signin.claims.sources import CLAIM_SOURCES, ClaimSource, Minting
from tests.fakes.hooks import FakeHookClient
from tests.support.api import bearer
from tests.support.oauth import OAuthWorld, claims
from tests.support.pages import PASSWORD
from tests.support.token_exchange import API
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit
RECEIVER = "http://127.0.0.1:9/hook"


def tenant(minting: Minting) -> str | None:
    """The tests' claim: the person's tenant, for a person's token only."""
    return f"tenant-of-{minting.user.id}" if minting.user is not None else None


TENANT = ClaimSource(
    name="tenant", kinds=frozenset({"access", "id_token", "firebase_custom"}), value=tenant
)
TENANTS = Unit[None](name="tenants", fills=(CLAIM_SOURCES(TENANT),))


class TenantWorld(OAuthWorld):
    """The app on the fakes with a unit of the tests' own that contributes ``TENANT``."""

    def own_units(self) -> Sequence[Placed[Any]]:
        return (Placed(TENANTS, None),)


def payload(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    found: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return found


def alice(world: OAuthWorld) -> str:
    return next(u.id for u in world.store.users.values() if u.shown_name == "alice")


def login(world: OAuthWorld) -> dict[str, Any]:
    answer = world.app.test_client().post(
        "/login", json={"username": "alice", "password": PASSWORD}
    )
    assert answer.status_code == 200, answer.get_json()
    found: dict[str, Any] = answer.get_json()
    return found


def test_a_units_claim_goes_into_exactly_the_kinds_it_names() -> None:
    world = TenantWorld()
    api, expected = world.app.test_client(), f"tenant-of-{alice(world)}"
    pair = login(world)
    assert payload(pair["access_token"])["tenant"] == expected  # a session's access token
    refreshed = api.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert payload(refreshed.get_json()["access_token"])["tenant"] == expected
    renewed = api.post("/auth/renew", headers=bearer(refreshed.get_json()["access_token"]))
    assert payload(renewed.get_json()["access_token"])["tenant"] == expected
    custom = api.post("/auth/firebase/custom-token", headers=bearer(pair["access_token"]))
    assert payload(custom.get_json()["custom_token"])["claims"]["tenant"] == expected

    tokens = world.tokens(world.register(), resource=API)
    assert claims(world, tokens["id_token"])["tenant"] == expected
    # not the kinds it does not name: the provider's access token, userinfo, introspection
    assert "tenant" not in claims(world, tokens["access_token"])
    info = api.get("/oauth/userinfo", headers=bearer(tokens["access_token"])).get_json()
    assert info["sub"] == alice(world) and "tenant" not in info
    server = world.register("--confidential", name="Resource server")
    basic = base64.b64encode(f"{server['client_id']}:{server['client_secret']}".encode())
    looked = api.post(
        "/oauth/introspect",
        data={"token": tokens["access_token"]},
        headers={"Authorization": "Basic " + basic.decode()},
    ).get_json()
    assert looked["active"] is True and "tenant" not in looked


def test_without_the_unit_no_token_has_the_claim() -> None:
    world = OAuthWorld()
    pair = login(world)
    assert "tenant" not in payload(pair["access_token"])
    assert "tenant" not in world.services.of(ProviderServices).minting.claims.reserved


def test_a_units_claim_is_reserved_from_the_hooks_and_the_profile_attributes() -> None:
    assert "tenant" not in RESERVED_CLAIMS  # the token frame's list does not name it
    world = TenantWorld(app_profile="local")
    assert "tenant" in world.services.of(ProviderServices).minting.claims.reserved
    # A before_token hook answering it is a failed call, which this one's on_failure allows:
    # its claims are left out, the unit's stays.
    world.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "before_token", RECEIVER))
    receiver: FakeHookClient = world.adapters.of(HooksAdapters).hook_client  # type: ignore[assignment]
    receiver.answer = {"claims": {"tier": "gold", "tenant": "someone-else"}}
    found = payload(login(world)["access_token"])
    assert found["tenant"] == f"tenant-of-{alice(world)}" and "tier" not in found
    receiver.answer = {"claims": {"tier": "gold"}}
    assert payload(login(world)["access_token"])["tier"] == "gold"  # the hook itself works
    # A profile attribute may not be released as it.
    schema = {"type": "object", "properties": {"tenant": {"type": "string", "x-scope": "email"}}}
    with pytest.raises(InvalidInput) as refused:
        world.services.of(AccountServices).profile_schemas.replace(
            ReplaceProfileSchema(ADMIN, schema)
        )
    assert refused.value.errors[0].field == "properties.tenant"


def test_the_admins_hook_test_reserves_a_units_claim_as_the_calls_do() -> None:
    """``hooks test`` checks each sample's answer with the service's reserved claims
    (``HookKinds.reserved``), the units' among them."""
    world = TenantWorld(app_profile="local")
    receiver: FakeHookClient = world.adapters.of(HooksAdapters).hook_client  # type: ignore[assignment]
    admin = world.services.of(HookServices).hooks
    receiver.answer = {"claims": {"tenant": "someone-else"}}
    tested = admin.test(KitRequest(ADMIN, "before_token", RECEIVER))
    assert not tested.passed
    assert {a.asked.error for a in tested.answers} == {"reserved_claim:tenant"}
    receiver.answer = {"decision": "allow", "session_claims": {"tenant": "someone-else"}}
    tested = admin.test(KitRequest(ADMIN, "before_sign_in", RECEIVER))
    assert {a.asked.error for a in tested.answers} == {"reserved_claim:tenant"}
    receiver.answer = {"claims": {"tier": "gold"}}
    assert admin.test(KitRequest(ADMIN, "before_token", RECEIVER)).passed
