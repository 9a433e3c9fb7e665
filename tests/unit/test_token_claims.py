"""The claims of every kind of token firegate mints, pinned for the people whose tokens carry
a unit's claims: a person with a proven phone number, a guest, an agent's exchanged token
(``act``) and a sign-in stepped up with a second factor (``acr``); a session of support
access's: tests/unit/support_access/test_support_access_claims.py. Each kind is minted
through its route: a session's access token (sign-in, refresh, renewal, org switch), the
provider's ID and access tokens (a code, a refresh), userinfo, introspection, a token
exchange and the Firebase custom token. The claim sources
(docs/contributing.md, "Units") must keep every one of them as it is."""

from __future__ import annotations

import pyotp
import pytest

from application.provider.services import ProviderServices
from bootstrap.units import units_on
from domain.federation.acting import firebase_resource
from domain.signin.acr import MFA, PWD
from domain.signin.active_org import ActiveOrg
from domain.signin.claims.sources import CLAIM_SOURCES
from domain.slots import filled
from tests.support.api import bearer
from tests.support.app import app_time
from tests.support.guest_accounts import new_guest
from tests.support.oauth import OAuthWorld
from tests.support.pages import PASSWORD
from tests.support.settings import make_settings
from tests.support.token_claims import (
    INTROSPECTION,
    PROVIDER,
    SESSION,
    alice,
    custom,
    introspect,
    payload,
    refreshed,
    renewed,
    session_pair,
)
from tests.support.token_exchange import API, exchange

pytestmark = pytest.mark.unit


def test_a_guest() -> None:
    """A guest made as POST /auth/guest makes one (tests/support/guest_accounts.py)."""
    world = OAuthWorld()
    pair = new_guest(world.app.test_client())
    access = payload(pair.access_token)
    assert set(access) == SESSION | {"guest"} and access["guest"] is True
    again = refreshed(world, pair.refresh_token)
    assert payload(again["access_token"])["guest"] is True
    assert set(payload(again["access_token"])) == set(access)
    assert set(payload(renewed(world, again["access_token"])["access_token"])) == set(access)
    assert custom(world, again["access_token"]) == {
        "role": "user",
        "token_version": 0,
        "guest": True,
    }


def test_an_agents_exchanged_token_and_its_custom_token() -> None:
    world = OAuthWorld()
    issuer = world.client.get("/.well-known/openid-configuration").get_json()["issuer"]
    firebase = firebase_resource(issuer)
    agent = world.register(
        "--confidential", "--resource", API, "--resource", firebase, "--grant", "token_exchange"
    )
    person = world.tokens(agent, resource=API)
    answer = exchange(world, agent, person["access_token"], resource=firebase, scope="email")
    assert answer.status_code == 200, answer.get_json()
    token = answer.get_json()["access_token"]
    exchanged = payload(token)
    act = {"sub": agent["client_id"]}
    assert exchanged["act"] == act and exchanged["acr"] == PWD
    assert set(exchanged) == PROVIDER - {"amr"} | {"act"}
    looked = introspect(world, token)
    assert looked["act"] == act and looked["acr"] == PWD
    assert set(looked) == INTROSPECTION | {"act"}
    assert custom(world, token) == {
        "role": "user",
        "token_version": 0,
        "sign_in_acr": PWD,
        "act": act,
        "scope": "email",
        "grant_id": exchanged["grant_id"],
    }


def test_a_sign_in_stepped_up_with_a_second_factor() -> None:
    world = OAuthWorld()
    api = world.app.test_client()
    pair = session_pair(world)
    started = api.post(
        "/auth/mfa/totp", json={"password": PASSWORD}, headers=bearer(pair["access_token"])
    )
    secret = started.get_json()["secret"]
    confirmed = api.post(
        "/auth/mfa/totp/confirm",
        json={"code": pyotp.TOTP(secret).at(app_time(api))},
        headers=bearer(pair["access_token"]),
    )
    assert confirmed.status_code == 200, confirmed.get_json()
    problem = api.post("/login", json={"username": "alice", "password": PASSWORD}).get_json()
    code = pyotp.TOTP(secret).at(app_time(api), counter_offset=1)
    answer = api.post("/login/mfa", json={"mfa_token": problem["mfa_token"], "code": code})
    assert answer.status_code == 200, answer.get_json()
    stepped = answer.get_json()
    access = payload(stepped["access_token"])
    assert set(access) == SESSION | {"amr", "acr"} and access["acr"] == MFA
    again = refreshed(world, stepped["refresh_token"])
    assert payload(again["access_token"])["acr"] == MFA
    assert payload(renewed(world, again["access_token"])["access_token"])["acr"] == MFA
    acme = ActiveOrg(id="org1Xq_AcmeId00", slug="acme", roles=("member",), version=3)
    world.store.active_orgs[(acme.id, alice(world))] = acme
    switched = api.post("/auth/org", json={"org": "acme"}, headers=bearer(again["access_token"]))
    assert switched.status_code == 200, switched.get_json()
    in_org = payload(switched.get_json()["access_token"])
    assert set(in_org) == SESSION | {"amr", "acr", "org"} and in_org["acr"] == MFA
    assert custom(world, switched.get_json()["access_token"]) == {
        "role": "user",
        "token_version": 1,  # the authenticator's set-up ended the sessions before it
        "sign_in_acr": MFA,
        "org_id": acme.id,
        "org_roles": ["member"],
        "org_version": 3,
    }


# The reserved claims as one hand list held them before the claim sources (decision 0505):
# the frame's and the sources' together are the same set. An optional unit's own claims are
# its tests' (support access's ``impersonation_ends``:
# tests/unit/support_access/test_support_access_claims.py): a unit taken out takes them.
RESERVED_BEFORE = frozenset(
    (
        *("iss", "sub", "aud", "exp", "iat", "nbf", "jti", "sid", "amr", "acr", "azp"),
        *("nonce", "auth_time", "at_hash", "c_hash", "scope", "client_id", "cnf", "act"),
        *("user_id", "role", "org", "guest"),
        *("grant_id", "userinfo_claims", "hook_claims", "act_grants"),
        *("preferred_username", "name", "given_name", "family_name", "locale", "updated_at"),
        *("email", "email_verified", "roles", "org_id", "org_slug", "org_roles"),
        "org_permissions",
        *("token_version", "org_version", "firebase", "picture"),
        "sign_in_acr",
        *("phone_number", "phone_number_verified"),
    )
)


def test_the_reserved_claims_are_what_they_were() -> None:
    world = OAuthWorld()
    reserved = world.services.of(ProviderServices).minting.claims.reserved
    units = {source.name for source in filled(units_on(make_settings()), CLAIM_SOURCES)}
    assert reserved - units == RESERVED_BEFORE - units
