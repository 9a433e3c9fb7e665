"""The active organization on the fakes: POST /auth/org, the access token's ``org`` claim,
and the membership read with every request (docs/reference/orgs.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from flask.testing import FlaskClient

from domain.errors import PermissionDenied
from domain.signin.active_org import ActiveOrg, require_org
from domain.signin.mfa import TotpFactor
from tests.fakes.kernel import InMemoryStore
from tests.support.api import PASSWORD, assert_problem, bearer, register

pytestmark = pytest.mark.unit

ACME = ActiveOrg(
    id="org1Xq_AcmeId00", slug="acme", roles=("member",), version=3, permissions=("docs:read",)
)


def claims(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def signed_in(client: FlaskClient, store: InMemoryStore, name: str = "alice") -> dict[str, Any]:
    user = register(client, name)
    response = client.post("/login", json={"username": name, "password": PASSWORD})
    assert response.status_code == 200
    pair: dict[str, Any] = response.get_json()
    return {**pair, "user_id": user["id"]}


def join(store: InMemoryStore, user_id: str, org: ActiveOrg = ACME) -> None:
    store.active_orgs[(org.id, user_id)] = org


def switch(client: FlaskClient, token: str, org: str | None) -> Any:
    return client.post("/auth/org", json={"org": org}, headers=bearer(token))


def whoami_org(client: FlaskClient, token: str) -> Any:
    response = client.get("/auth/whoami", headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["org"]


@pytest.mark.parametrize("name", [ACME.id, ACME.slug])
def test_a_member_switches_by_id_or_slug_and_the_token_names_the_org(
    client: FlaskClient, store: InMemoryStore, name: str
) -> None:
    alice = signed_in(client, store)
    join(store, alice["user_id"])
    response = switch(client, alice["access_token"], name)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    org = {"id": ACME.id, "slug": "acme", "roles": ["member"], "permissions": ["docs:read"]}
    assert claims(body["access_token"])["org"] == org
    assert claims(body["access_token"])["sid"] == claims(alice["access_token"])["sid"]
    assert whoami_org(client, body["access_token"]) == org
    assert whoami_org(client, alice["access_token"]) is None  # minted before: no org claim


def test_a_non_member_learns_nothing(client: FlaskClient, store: InMemoryStore) -> None:
    alice = signed_in(client, store)
    bob = signed_in(client, store, "bob")
    join(store, bob["user_id"])
    for name in (ACME.id, ACME.slug, "no-such-org", "zzzzzzzzzzzzzzzzzzzzzz"):
        assert_problem(switch(client, alice["access_token"], name), 404, "org_not_found")


def test_the_body_is_checked(client: FlaskClient, store: InMemoryStore) -> None:
    alice = signed_in(client, store)
    for body in ({}, {"org": ""}, {"org": 3}, {"org": "acme", "x": 1}):
        response = client.post("/auth/org", json=body, headers=bearer(alice["access_token"]))
        assert_problem(response, 422, "validation_failed")


def test_a_removed_member_loses_the_org_at_their_next_request(
    client: FlaskClient, store: InMemoryStore
) -> None:
    alice = signed_in(client, store)
    join(store, alice["user_id"])
    token = switch(client, alice["access_token"], "acme").get_json()["access_token"]
    del store.active_orgs[(ACME.id, alice["user_id"])]
    assert whoami_org(client, token) is None  # the account goes on, without the org


def test_changed_roles_count_at_the_next_request(client: FlaskClient, store: InMemoryStore) -> None:
    alice = signed_in(client, store)
    join(store, alice["user_id"])
    token = switch(client, alice["access_token"], "acme").get_json()["access_token"]
    join(store, alice["user_id"], replace(ACME, roles=("admin", "billing"), version=4))
    assert whoami_org(client, token)["roles"] == ["admin", "billing"]
    assert claims(token)["org"]["roles"] == ["member"]  # the claim is only what was minted


def test_the_refresh_keeps_the_org_with_the_roles_stored_now(
    client: FlaskClient, store: InMemoryStore
) -> None:
    alice = signed_in(client, store)
    join(store, alice["user_id"])
    assert switch(client, alice["access_token"], "acme").status_code == 200
    join(store, alice["user_id"], replace(ACME, roles=("admin",), version=4))
    refreshed = client.post("/auth/refresh", json={"refresh_token": alice["refresh_token"]})
    assert refreshed.status_code == 200
    assert claims(refreshed.get_json()["access_token"])["org"]["roles"] == ["admin"]
    renewed = client.post("/auth/renew", headers=bearer(refreshed.get_json()["access_token"]))
    assert claims(renewed.get_json()["access_token"])["org"]["id"] == ACME.id
    del store.active_orgs[(ACME.id, alice["user_id"])]
    again = client.post(
        "/auth/refresh", json={"refresh_token": refreshed.get_json()["refresh_token"]}
    )
    assert "org" not in claims(again.get_json()["access_token"])


def test_clearing_or_switching_ends_the_org_of_the_tokens_minted_before(
    client: FlaskClient, store: InMemoryStore
) -> None:
    alice = signed_in(client, store)
    join(store, alice["user_id"])
    other = ActiveOrg(id="org2Yq_OtherId0", slug="other", roles=("owner",), version=1)
    join(store, alice["user_id"], other)
    in_acme = switch(client, alice["access_token"], "acme").get_json()["access_token"]
    in_other = switch(client, in_acme, "other").get_json()["access_token"]
    assert whoami_org(client, in_acme) is None
    assert whoami_org(client, in_other)["id"] == other.id
    cleared = switch(client, in_other, None)
    assert cleared.status_code == 200
    assert "org" not in claims(cleared.get_json()["access_token"])
    assert whoami_org(client, in_other) is None
    refreshed = client.post("/auth/refresh", json={"refresh_token": alice["refresh_token"]})
    assert "org" not in claims(refreshed.get_json()["access_token"])


def test_an_org_that_requires_mfa_wants_a_second_factor_first(
    client: FlaskClient, store: InMemoryStore
) -> None:
    alice = signed_in(client, store)
    join(store, alice["user_id"], replace(ACME, require_mfa=True))
    assert_problem(switch(client, alice["access_token"], "acme"), 403, "mfa_setup_required")
    now = datetime.now(UTC)
    pending = TotpFactor(alice["user_id"], "sealed", active=False, created_at=now, updated_at=now)
    store.factors[alice["user_id"]] = pending
    assert_problem(switch(client, alice["access_token"], "acme"), 403, "mfa_setup_required")
    store.factors[alice["user_id"]] = replace(pending, active=True)
    assert switch(client, alice["access_token"], "acme").status_code == 200


def test_a_personal_token_cannot_switch(client: FlaskClient, store: InMemoryStore) -> None:
    alice = signed_in(client, store)
    body = {"name": "ci", "scopes": ["read", "write"], "expires_in": 3600}
    made = client.post("/auth/tokens", json=body, headers=bearer(alice["access_token"]))
    assert made.status_code == 201, made.get_json()
    join(store, alice["user_id"])
    assert_problem(switch(client, made.get_json()["token"], "acme"), 403, "session_required")


def test_without_a_token_it_is_401(client: FlaskClient) -> None:
    assert_problem(client.post("/auth/org", json={"org": "acme"}), 401, "missing_token")


def test_a_route_that_needs_the_org_gets_it_or_403() -> None:
    assert require_org(ACME) is ACME
    with pytest.raises(PermissionDenied) as info:
        require_org(None)
    assert info.value.code == "org_required"
