"""An org's agent policy governs the agents known by a client metadata document as it governs
registered ones, on the fakes (docs/customers-govern-agents.md; docs/decisions/
0622-an-orgs-policy-governs-document-agents.md): such an agent may ask for scope
``organization``, the person picks the org on the consent page, and the org's policy decides
there and at every refresh; in the local profile a policy may name the loopback hosts the
local profile fetches documents from."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from werkzeug.test import TestResponse

from application.outbound import Answer
from domain.errors import InvalidInput
from domain.signin.active_org import ActiveOrg, AgentMode, AgentPolicy
from tests.fakes.events import FakePinnedClient
from tests.support.api import bearer, login, register
from tests.support.app import World
from tests.support.oauth import REDIRECT, OAuthWorld, claims, csrf_of, redirected
from tests.support.settings import PRODUCTION_SETTINGS
from tests.unit.agents.fakes import documents_getter

pytestmark = pytest.mark.unit

URL = "https://agent.example.com/oauth/client.json"
LOCAL_URL = "https://localhost:8443/oauth/client.json"
VERIFIER = "v" * 43
ACME = ActiveOrg(
    id="org1Xq_AcmeId00", slug="acme", roles=("member",), version=1, name="Acme"
)  # fmt: skip


def document(url: str = URL) -> Answer:
    body = {
        "client_id": url,
        "client_name": "Example Agent",
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "none",
    }
    return Answer(200, "OK", (("Content-Type", "application/json"),), json.dumps(body).encode())


@pytest.fixture
def world() -> OAuthWorld:
    w = OAuthWorld()
    getter = documents_getter(w)
    assert isinstance(getter, FakePinnedClient)
    getter.answers[("GET", URL)] = document()
    getter.answers[("GET", LOCAL_URL)] = document(LOCAL_URL)
    return w


def alice_id(world: OAuthWorld) -> str:
    return next(u.id for u in world.store.users.values() if u.shown_name == "alice")


def acme_allows(world: OAuthWorld, policy: AgentPolicy) -> None:
    """Alice a member of Acme, whose agent policy is ``policy``."""
    world.store.active_orgs[(ACME.id, alice_id(world))] = replace(ACME, agents=policy)


def authorize(world: OAuthWorld, client_id: str = URL) -> TestResponse:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid organization offline_access",
        "state": "st4te",
        "code_challenge": create_s256_code_challenge(VERIFIER),
        "code_challenge_method": "S256",
    }
    return world.client.get("/oauth/authorize", query_string=query)


def pick(world: OAuthWorld, page: TestResponse, org: str = "acme") -> TestResponse:
    html = page.get_data(as_text=True)
    return world.client.post(
        page.request.full_path.replace("/oauth/authorize?", "/oauth/authorize/consent?"),
        data={"decision": "allow", "organization": org, "csrf_token": csrf_of(html)},
    )


def tokens(world: OAuthWorld, code: str, client_id: str = URL) -> dict[str, Any]:
    answer = world.client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": VERIFIER,
        },
    )
    assert answer.status_code == 200, answer.get_json()
    found: dict[str, Any] = answer.get_json()
    return found


def test_the_consent_page_offers_the_org_to_a_document_agent(world: OAuthWorld) -> None:
    acme_allows(world, AgentPolicy())
    page = authorize(world)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="organization"' in html and "Acme" in html, html
    issued = tokens(world, redirected(pick(world, page))["code"])
    assert claims(world, issued["access_token"])["org_id"] == ACME.id
    assert issued["scope"] == "openid organization offline_access"


def test_an_org_whose_policy_is_none_stops_a_document_agent_at_consent(
    world: OAuthWorld,
) -> None:
    acme_allows(world, AgentPolicy(AgentMode.NONE))
    refused = pick(world, authorize(world))
    assert refused.status_code == 403
    html = refused.get_data(as_text=True)
    assert "Acme does not allow agent.example.com to act for its members." in html, html
    found = re.search(r'<a href="([^"]+)">Back to agent\.example\.com</a>', html)
    assert found is not None, html
    back = found.group(1).replace("&amp;", "&")
    query = {k: v[0] for k, v in parse_qs(urlsplit(back).query).items()}
    assert back.startswith(REDIRECT) and query["error"] == "access_denied"
    assert "does not allow this app" in query["error_description"]


def test_an_allow_list_naming_the_documents_host_lets_it_act(world: OAuthWorld) -> None:
    acme_allows(world, AgentPolicy(AgentMode.ALLOW_LIST, ("agent.example.com",)))
    issued = tokens(world, redirected(pick(world, authorize(world)))["code"])
    assert claims(world, issued["access_token"])["org_id"] == ACME.id


def test_a_policy_set_after_the_consent_holds_at_the_next_refresh(world: OAuthWorld) -> None:
    acme_allows(world, AgentPolicy())
    issued = tokens(world, redirected(pick(world, authorize(world)))["code"])
    acme_allows(world, AgentPolicy(AgentMode.NONE))
    refreshed = world.client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "client_id": URL,
            "refresh_token": issued["refresh_token"],
        },
    )
    assert refreshed.status_code == 400, refreshed.get_json()
    assert refreshed.get_json()["error"] == "invalid_grant"
    assert "agent policy" in refreshed.get_json()["error_description"]


# -- the local profile: a policy may name the hosts of its loopback documents


def test_a_local_policy_may_name_localhost_and_lets_a_local_document_agent_act(
    world: OAuthWorld,
) -> None:
    register(world.client, "olga")
    olga = bearer(login(world.client, "olga"))
    made = world.client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=olga)
    assert made.status_code == 201, made.get_json()
    body = {"mode": "allow_list", "hosts": ["localhost", "127.0.0.1", "agent.example.com"]}
    put = world.client.put("/orgs/acme/agent-policy", json=body, headers=olga)
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["hosts"] == ["127.0.0.1", "agent.example.com", "localhost"]
    policy = AgentPolicy(AgentMode.ALLOW_LIST, tuple(put.get_json()["hosts"]))
    acme_allows(world, policy)
    issued = tokens(world, redirected(pick(world, authorize(world, LOCAL_URL)))["code"], LOCAL_URL)
    assert claims(world, issued["access_token"])["org_id"] == ACME.id


def test_outside_the_local_profile_no_policy_names_a_loopback_host() -> None:
    world = World(**PRODUCTION_SETTINGS)
    register(world.client, "olga")
    olga = bearer(login(world.client, "olga"))
    made = world.client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=olga)
    assert made.status_code == 201, made.get_json()
    for host in ("localhost", "127.0.0.1", "app.localhost"):
        body = {"mode": "allow_list", "hosts": [host]}
        put = world.client.put("/orgs/acme/agent-policy", json=body, headers=olga)
        assert put.status_code == 422, put.get_json()
        assert put.get_json()["errors"][0]["code"] == "invalid_agent_host"
    with pytest.raises(InvalidInput):
        AgentPolicy.checked("allow_list", ["localhost"])
    assert AgentPolicy.checked("allow_list", ["LocalHost"], local=True).hosts == ("localhost",)
