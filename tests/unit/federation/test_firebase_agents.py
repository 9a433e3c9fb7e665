"""An app's or agent's token asks for a Firebase custom token (docs/reference/firebase.md,
"An agent's custom token"): the rules of domain/federation/acting.py, then the route on the
fakes with tokens of the provider, exchanged and not."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from domain.errors import PermissionDenied
from domain.federation.acting import (
    MAX_ACT_DEPTH,
    ActingAgent,
    chain_of,
    firebase_resource,
)
from domain.provider.token_exchange import ACT_GRANTS
from domain.signin.acr import PWD
from tests.support.api import bearer, login
from tests.support.oauth import OAuthWorld
from tests.support.pages import PASSWORD
from tests.support.token_exchange import API, exchange

pytestmark = pytest.mark.unit
PATH = "/auth/firebase/custom-token"
RESOURCE = firebase_resource("https://auth.example.com/")


def payload(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


def agent_claims(**changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "sub": "u1",
        "aud": RESOURCE,
        "client_id": "agent",
        "grant_id": "g1",
        "scope": "invoices:read email invoices:read",
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def test_the_resource_sits_below_the_issuer() -> None:
    assert RESOURCE == "https://auth.example.com/auth/firebase"


def test_an_act_chain_keeps_each_actors_sub_three_deep_at_most() -> None:
    three = {"sub": "a", "iss": "x", "act": {"sub": "b", "act": {"sub": "c"}}}
    assert chain_of(three) == {"sub": "a", "act": {"sub": "b", "act": {"sub": "c"}}}
    deeper: dict[str, Any] = {"sub": "d"}
    for name in "cba":
        deeper = {"sub": name, "act": deeper}
    assert MAX_ACT_DEPTH == 3 and chain_of(deeper) is None
    for broken in ({}, {"sub": ""}, {"sub": 7}, "a", {"sub": "a", "act": "b"}, {"sub": "x" * 513}):
        assert chain_of(broken) is None, broken


def test_an_agent_is_the_tokens_chain_or_its_client_with_its_scopes() -> None:
    plain = ActingAgent.of(agent_claims(), RESOURCE)
    assert plain.act == {"sub": "agent"} and plain.client_id == "agent"
    assert plain.scopes == ("invoices:read", "email")
    assert plain.claims() == {
        "act": {"sub": "agent"},
        "scope": "invoices:read email",
        "grant_id": "g1",
    }
    assert plain.may("email") and not plain.may("invoices:write")
    chained = ActingAgent.of(agent_claims(act={"sub": "b", "act": {"sub": "a"}}), RESOURCE)
    assert chained.act == {"sub": "b", "act": {"sub": "a"}} and chained.client_id == "b"
    listed = ActingAgent.of(agent_claims(aud=["x", RESOURCE], scope=None), RESOURCE)
    assert listed.scopes == () and listed.claims()["scope"] == ""


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"aud": "https://api.example.com/"}, "agent_token_not_for_firebase"),
        ({"aud": None}, "agent_token_not_for_firebase"),
        ({"grant_id": None}, "agent_token_not_for_firebase"),  # a client's own token
        ({"client_id": None}, "agent_token_not_for_firebase"),
        ({"cnf": {"jkt": "k"}}, "agent_token_not_for_firebase"),  # DPoP-bound
        (
            {"act": {"sub": "a", "act": {"sub": "b", "act": {"sub": "c", "act": {"sub": "d"}}}}},
            "act_chain_too_deep",
        ),
        ({"act": {"iss": "x"}}, "act_chain_too_deep"),
    ],
)
def test_each_refusal_names_its_reason(changes: dict[str, Any], code: str) -> None:
    with pytest.raises(PermissionDenied) as refused:
        ActingAgent.of(agent_claims(**changes), RESOURCE)
    assert refused.value.code == code


@pytest.fixture
def world() -> OAuthWorld:
    return OAuthWorld()


def issuer(world: OAuthWorld) -> str:
    found: str = world.client.get("/.well-known/openid-configuration").get_json()["issuer"]
    return found


def test_an_exchanged_token_for_firebase_gets_a_custom_token_naming_the_agent(
    world: OAuthWorld,
) -> None:
    firebase = firebase_resource(issuer(world))
    agent = world.register(
        "--confidential", "--resource", API, "--resource", firebase, "--grant", "token_exchange"
    )
    person = world.tokens(agent, resource=API)
    exchanged = exchange(world, agent, person["access_token"], resource=firebase, scope="email")
    assert exchanged.status_code == 200, exchanged.get_json()
    token = exchanged.get_json()["access_token"]

    minted = world.client.post(PATH, headers=bearer(token))
    assert minted.status_code == 200, minted.get_json()
    found = payload(minted.get_json()["custom_token"])
    grant_id = payload(token)["grant_id"]
    assert found["claims"] == {
        "role": "user",
        "token_version": 0,
        "sign_in_acr": PWD,  # the person's sign-in behind the agent's token
        "act": {"sub": agent["client_id"]},
        "scope": "email",
        "grant_id": grant_id,
    }
    assert found["uid"] == payload(token)["sub"]

    # The person's token for the app's API is not for Firebase: refused, nothing minted.
    other = world.client.post(PATH, headers=bearer(person["access_token"]))
    assert other.status_code == 403
    assert other.get_json()["code"] == "agent_token_not_for_firebase"

    # The person's own session names no agent.
    own = world.client.post(PATH, headers=bearer(login(world.client, "alice", PASSWORD)))
    assert own.status_code == 200, own.get_json()
    assert "act" not in payload(own.get_json()["custom_token"])["claims"]

    # The grant revoked (the app on /account): the exchanged token asks no more.
    revoked = world.client.post(
        "/oauth/revoke",
        data={
            "token": person["refresh_token"],
            "client_id": agent["client_id"],
            "client_secret": agent["client_secret"],
        },
    )
    assert revoked.status_code == 200
    dead = world.client.post(PATH, headers=bearer(token))
    assert dead.status_code == 401 and dead.get_json()["code"] == "invalid_token"


def test_an_apps_token_issued_for_firebase_names_the_app_itself(world: OAuthWorld) -> None:
    firebase = firebase_resource(issuer(world))
    app = world.register("--resource", firebase)
    token = world.tokens(app, resource=firebase, scope="openid email")["access_token"]
    minted = world.client.post(PATH, headers=bearer(token))
    assert minted.status_code == 200, minted.get_json()
    claims = payload(minted.get_json()["custom_token"])["claims"]
    assert claims["act"] == {"sub": app["client_id"]} and claims["scope"] == "openid email"


def test_no_token_and_a_token_of_nobody_are_401(world: OAuthWorld) -> None:
    assert world.client.post(PATH).status_code == 401
    forged = world.client.post(PATH, headers=bearer("a.b.c"))
    assert forged.status_code == 401


def test_the_decision_endpoint_answers_an_agents_token_within_its_scopes(
    world: OAuthWorld,
) -> None:
    firebase = firebase_resource(issuer(world))
    app = world.register("--resource", firebase)
    token = world.tokens(app, resource=firebase, scope="openid email")["access_token"]
    person, own = payload(token)["sub"], login(world.client, "alice", PASSWORD)
    made = world.client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=bearer(own))
    assert made.status_code == 201, made.get_json()
    org_id = made.get_json()["id"]
    role = {"description": "owner", "permissions": ["email", "invoices:read"]}
    put = world.client.put(f"/orgs/{org_id}/roles/owner", json=role, headers=bearer(own))
    assert put.status_code in (200, 201), put.get_json()
    asked = {}
    for token_of, who in ((token, "agent"), (own, "person")):
        for action in ("email", "invoices:read", "openid"):
            body = {
                "subject": {"type": "user", "id": person},
                "action": {"name": action},
                "resource": {"type": "org", "id": org_id},
            }
            answer = world.client.post("/access/v1/evaluation", json=body, headers=bearer(token_of))
            assert answer.status_code == 200, answer.get_json()
            asked[who, action] = answer.get_json()["decision"]
    assert asked == {
        ("agent", "email"): True,  # held, and among the token's scopes
        ("agent", "invoices:read"): False,  # held, but not the agent's
        ("agent", "openid"): False,  # the agent's, but not held
        ("person", "email"): True,
        ("person", "invoices:read"): True,
        ("person", "openid"): False,
    }


def test_a_chains_agents_grants_ride_in_the_custom_token_for_the_rules_to_read() -> None:
    """A delegated token names the person's grant to each agent of its chain (the provider's
    private claim): the custom token carries them, so that removing any of those agents on
    /account ends the Firebase session too, as it ends the token at introspection."""
    chained = agent_claims(
        act={"sub": "b", "act": {"sub": "a"}}, **{ACT_GRANTS: ["grant-of-b", "grant-of-a"]}
    )
    agent = ActingAgent.of(chained, RESOURCE)
    assert agent.claims()["agent_grants"] == ["grant-of-b", "grant-of-a"]
    assert "agent_grants" not in ActingAgent.of(agent_claims(), RESOURCE).claims()
    for broken in ("grant-of-b", [7], ["g"] * (MAX_ACT_DEPTH + 1)):
        with pytest.raises(PermissionDenied) as refused:
            ActingAgent.of(agent_claims(**{ACT_GRANTS: broken}), RESOURCE)
        assert refused.value.code == "agent_token_not_for_firebase"
