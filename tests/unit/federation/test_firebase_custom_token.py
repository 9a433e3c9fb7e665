"""POST /auth/firebase/custom-token on the fakes: whose token, which claims, and refusals."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from domain.accounts.users import Role
from domain.errors import Unavailable
from domain.signin.acr import PWD
from domain.signin.active_org import ActiveOrg
from domain.signin.mfa import TotpFactor
from tests.fakes.federation import CUSTOM_TOKEN_AUDIENCE, FakeCustomTokens
from tests.fakes.kernel import InMemoryStore
from tests.support.api import assert_problem, bearer, login
from tests.support.custom_tokens import PATH, adapters, custom_tokens, payload, signed_in
from tests.support.guest_accounts import new_guest

pytestmark = pytest.mark.unit
__all__ = ["adapters", "custom_tokens"]  # the fixtures: the route's fake token minter


def test_the_token_is_for_the_caller_with_its_role(
    client: FlaskClient, custom_tokens: FakeCustomTokens
) -> None:
    user_id, token = signed_in(client)
    response = client.post(PATH, headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) == {"custom_token"}
    claims = payload(body["custom_token"])
    assert claims["uid"] == user_id
    assert claims["claims"] == {"role": "user", "token_version": 0, "sign_in_acr": PWD}
    assert claims["aud"] == CUSTOM_TOKEN_AUDIENCE
    assert custom_tokens.minted == [
        (user_id, {"role": "user", "token_version": 0, "sign_in_acr": PWD})
    ]


def test_an_active_org_adds_its_id_roles_and_the_membership_version(
    client: FlaskClient, store: InMemoryStore
) -> None:
    user_id, token = signed_in(client)
    acme = ActiveOrg(id="org1Xq_AcmeId00", slug="acme", roles=("member",), version=3)
    store.active_orgs[(acme.id, user_id)] = acme
    switched = client.post("/auth/org", json={"org": "acme"}, headers=bearer(token))
    in_org = switched.get_json()["access_token"]
    store.active_orgs[(acme.id, user_id)] = replace(acme, roles=("admin",), version=5)
    claims = payload(client.post(PATH, headers=bearer(in_org)).get_json()["custom_token"])
    assert claims["claims"] == {
        "role": "user",
        "token_version": 0,
        "sign_in_acr": PWD,
        "org_id": acme.id,
        "org_roles": ["admin"],  # as stored now, never the access token's
        "org_version": 5,
    }
    del store.active_orgs[(acme.id, user_id)]
    ended = payload(client.post(PATH, headers=bearer(in_org)).get_json()["custom_token"])
    assert ended["claims"] == {"role": "user", "token_version": 0, "sign_in_acr": PWD}


def test_the_claims_are_the_stored_ones_not_the_tokens(
    client: FlaskClient, store: InMemoryStore, custom_tokens: FakeCustomTokens
) -> None:
    user_id, token = signed_in(client)  # the access token says "user"
    store.users[user_id] = replace(store.users[user_id], role=Role.ADMIN)
    response = client.post(PATH, headers=bearer(token))
    assert response.status_code == 200
    claims = {"role": "admin", "token_version": 0, "sign_in_acr": PWD}
    assert payload(response.get_json()["custom_token"])["claims"] == claims
    assert custom_tokens.minted == [(user_id, claims)]


def test_the_token_version_follows_the_sessions_ended(
    client: FlaskClient, custom_tokens: FakeCustomTokens
) -> None:
    user_id, first = signed_in(client)
    assert client.post("/auth/logout?all=true", headers=bearer(first)).status_code == 204
    second = login(client)
    assert client.post(PATH, headers=bearer(second)).status_code == 200
    assert custom_tokens.minted == [
        (user_id, {"role": "user", "token_version": 1, "sign_in_acr": PWD})
    ]


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_token"),
        ({"Authorization": "Basic YWxpY2U6c2VjcmV0"}, "missing_token"),
        ({"Authorization": "Bearer not-a-token"}, "invalid_token"),
    ],
)
def test_no_valid_access_token_is_401(
    client: FlaskClient, custom_tokens: FakeCustomTokens, headers: dict[str, str], code: str
) -> None:
    signed_in(client)
    response = client.post(PATH, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["code"] == code
    assert custom_tokens.minted == []


def test_an_ended_session_gets_none(client: FlaskClient, custom_tokens: FakeCustomTokens) -> None:
    _, token = signed_in(client)
    assert client.post("/auth/logout", headers=bearer(token)).status_code == 204
    response = client.post(PATH, headers=bearer(token))
    assert response.status_code == 401 and response.get_json()["code"] == "invalid_token"
    assert custom_tokens.minted == []


def test_a_disabled_account_is_403(
    client: FlaskClient, store: InMemoryStore, custom_tokens: FakeCustomTokens
) -> None:
    user_id, token = signed_in(client)
    store.users[user_id] = replace(store.users[user_id], disabled=True)
    response = client.post(PATH, headers=bearer(token))
    assert response.status_code == 403
    assert response.get_json()["code"] == "account_disabled"
    assert custom_tokens.minted == []


def test_firebase_failing_is_a_503_problem(
    client: FlaskClient, custom_tokens: FakeCustomTokens
) -> None:
    _, token = signed_in(client)
    custom_tokens.fail_with(Unavailable("Firebase custom tokens cannot be made right now."))
    response = client.post(PATH, headers=bearer(token))
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "service_unavailable"
    assert int(response.headers["Retry-After"]) > 0
    custom_tokens.fail_with(None)
    assert client.post(PATH, headers=bearer(token)).status_code == 200


def test_get_is_not_allowed(client: FlaskClient) -> None:
    _, token = signed_in(client)
    assert client.get(PATH, headers=bearer(token)).status_code == 405


def test_an_org_requiring_a_second_factor_is_refused_without_one(
    client: FlaskClient, store: InMemoryStore
) -> None:
    """The org becomes active in the Firebase session: its require_mfa holds there too,
    checked on the authenticator as read with the request (docs/decisions/
    0382-an-org-becomes-active-under-its-rules-everywhere.md)."""
    user_id, token = signed_in(client)
    acme = ActiveOrg(id="org1Xq_AcmeId00", slug="acme", roles=("member",), version=3)
    store.active_orgs[(acme.id, user_id)] = acme
    switched = client.post("/auth/org", json={"org": "acme"}, headers=bearer(token))
    in_org = switched.get_json()["access_token"]
    store.active_orgs[(acme.id, user_id)] = replace(acme, require_mfa=True)  # since
    assert_problem(client.post(PATH, headers=bearer(in_org)), 403, "mfa_setup_required")
    now = datetime.now(UTC)
    pending = TotpFactor(user_id, "sealed", active=False, created_at=now, updated_at=now)
    store.factors[user_id] = pending
    assert_problem(client.post(PATH, headers=bearer(in_org)), 403, "mfa_setup_required")
    store.factors[user_id] = replace(pending, active=True)
    claims = payload(client.post(PATH, headers=bearer(in_org)).get_json()["custom_token"])
    assert claims["claims"]["org_id"] == acme.id
    # Without an org, no second factor is asked for.
    assert client.post(PATH, headers=bearer(token)).status_code == 200


def test_a_guests_token_says_guest_and_a_persons_does_not(
    client: FlaskClient, custom_tokens: FakeCustomTokens
) -> None:
    """The rules library's isGuest() reads it (docs/guests.md)."""
    minted = client.post(PATH, headers=bearer(new_guest(client).access_token))
    assert minted.status_code == 200, minted.get_json()
    assert payload(minted.get_json()["custom_token"])["claims"] == {
        "role": "user",
        "token_version": 0,
        "guest": True,
    }
    _, token = signed_in(client)
    person = payload(client.post(PATH, headers=bearer(token)).get_json()["custom_token"])
    assert "guest" not in person["claims"]
