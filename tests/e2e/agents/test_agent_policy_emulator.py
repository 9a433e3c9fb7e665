"""An org's agent policy on the Firestore emulator (docs/reference/orgs.md, "Agent policy";
docs/decisions/0548-an-orgs-agent-policy.md, 0550-minting-id-jags.md): its owner sets it
over HTTP, it is stored with the org and read with the membership by the provider, which
refuses an app it does not allow at the authorization endpoint (a page) and at the token
endpoint (a refresh after it changed), and mints an ID-JAG only for an app it names, the JWT
verified with the JWKS; thirty owners' changes at once each land whole, with its event."""

from __future__ import annotations

import re
from typing import Any

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import KeySet

from bootstrap import build_adapters
from domain.agents.id_jag import ID_JAG
from domain.provider.token_exchange import GRANT_TYPE, ID_TOKEN
from tests.support.api import bearer, login
from tests.support.app import app_on
from tests.support.oauth import EmulatorWorld
from tests.support.pages import PASSWORD
from tests.support.races import RACERS, Call, race, statuses
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e

SCOPE = "openid organization offline_access"
API = "https://api.chat.example/"
CHAT_AS = "https://acme.chat.example/"
Auth = dict[str, str]


@pytest.fixture
def world(firestore: Any) -> EmulatorWorld:
    settings = make_settings()
    return EmulatorWorld(app_on(settings, build_adapters(settings, firestore=firestore)))


def owner(world: EmulatorWorld) -> tuple[Auth, str]:
    """alice (the browser's person) makes the org acme: her bearer header and its id."""
    auth = bearer(login(world.client, "alice", PASSWORD))
    made = world.client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=auth)
    assert made.status_code == 201, made.get_json()
    org_id: str = made.get_json()["id"]
    return auth, org_id


def put_policy(world: EmulatorWorld, auth: Auth, mode: str, *hosts: str) -> None:
    body = {"mode": mode, "hosts": list(hosts)}
    answer = world.client.put("/orgs/acme/agent-policy", json=body, headers=auth)
    assert answer.status_code == 200, answer.get_json()


def test_the_policy_is_stored_with_the_org_and_on_its_audit_log(
    world: EmulatorWorld, firestore: Any
) -> None:
    auth, org_id = owner(world)
    assert world.client.get("/orgs/acme/agent-policy", headers=auth).get_json()["mode"] == "any"
    put_policy(world, auth, "allow_list", "Agent.Example.com", "bücher.example")
    stored = firestore.collection("orgs").document(org_id).get().to_dict()
    assert stored["agent_mode"] == "allow_list"
    assert stored["agent_hosts"] == ["agent.example.com", "xn--bcher-kva.example"]
    found = world.client.get("/orgs/acme/agent-policy", headers=auth).get_json()
    assert found == {"mode": "allow_list", "hosts": stored["agent_hosts"]}
    bad = world.client.put(
        "/orgs/acme/agent-policy",
        json={"mode": "allow_list", "hosts": ["*.x.example"]},
        headers=auth,
    )
    assert bad.status_code == 422 and bad.get_json()["code"] == "invalid_agent_host"
    events = world.client.get("/orgs/acme/events?limit=10", headers=auth).get_json()["items"]
    assert [e["reason"] for e in events if e["type"] == "org.updated"] == ["agent_policy"]


def authorize(world: EmulatorWorld, client_id: str, **params: str) -> Any:
    challenge = create_s256_code_challenge("v" * 50)
    return world.authorize(
        client_id,
        scope=SCOPE,
        organization="acme",
        code_challenge=challenge,
        code_challenge_method="S256",
        **params,
    )


def test_an_app_the_policy_does_not_allow_is_refused_at_both_endpoints(
    world: EmulatorWorld,
) -> None:
    auth, _ = owner(world)
    app = world.register(name="Wiki agent")  # its redirect URI is on app.example.com
    put_policy(world, auth, "allow_list", "app.example.com")
    tokens = world.tokens(app, scope=SCOPE, organization="acme")
    put_policy(world, auth, "none")
    page = authorize(world, app["client_id"])
    assert page.status_code == 403
    assert "Acme does not allow Wiki agent to act for its members." in page.get_data(as_text=True)
    back = re.search(r'<a href="([^"]+)">Back to Wiki agent</a>', page.get_data(as_text=True))
    assert back is not None and "error=access_denied" in back.group(1)
    refreshed = world.post_token(
        app, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refreshed.status_code == 400 and refreshed.get_json()["error"] == "invalid_grant"


def test_an_id_jag_is_minted_only_for_an_app_the_policy_names(world: EmulatorWorld) -> None:
    auth, org_id = owner(world)
    runner = world.app.test_cli_runner()
    added = runner.invoke(
        args=["resources", "add", API, "--issuer", CHAT_AS, "--scope", "chat.read",
              "--description", "chat.read", "Read the chat"]
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    # a resource's scope reaches a person acting in an org only as a permission of theirs
    role = {"permissions": ["chat.read"]}
    assert world.client.put("/orgs/acme/roles/owner", json=role, headers=auth).status_code == 200
    agent = world.register(
        "--confidential", "--grant", "token_exchange", "--resource", API,
        "--resource-scope", "chat.read", name="Wiki agent",
    )  # fmt: skip
    subject = world.tokens(agent, scope="openid organization", organization="acme")["id_token"]
    body = {
        "grant_type": GRANT_TYPE,
        "requested_token_type": ID_JAG,
        "subject_token": subject,
        "subject_token_type": ID_TOKEN,
        "audience": CHAT_AS,
        "resource": API,
    }
    refused = world.post_token(agent, **body)  # the org never set a policy: none is minted
    assert refused.status_code == 400 and refused.get_json()["error"] == "invalid_grant"
    put_policy(world, auth, "allow_list", "app.example.com")
    minted = world.post_token(agent, **body)
    assert minted.status_code == 200, minted.get_json()
    assert minted.get_json()["token_type"] == "N_A"
    keys = KeySet.import_key_set(world.client.get("/.well-known/jwks.json").get_json())
    decoded = jwt.decode(minted.get_json()["access_token"], keys)
    assert decoded.header["typ"] == "oauth-id-jag+jwt"
    claims = dict(decoded.claims)
    assert (claims["aud"], claims["resource"], claims["scope"]) == (CHAT_AS, API, "chat.read")
    assert (claims["client_id"], claims["org_id"]) == (agent["client_id"], org_id)
    put_policy(world, auth, "allow_list", "other.example")
    again = world.post_token(agent, **body)
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"


def test_thirty_owners_changes_at_once_each_land_whole_with_its_event(
    world: EmulatorWorld, firestore: Any
) -> None:
    auth, org_id = owner(world)
    bodies = [
        {"mode": "allow_list", "hosts": [f"a{i}.example", f"b{i}.example"]} for i in range(RACERS)
    ]

    def setting(body: dict[str, Any]) -> Call:
        return lambda client: client.put("/orgs/acme/agent-policy", json=body, headers=auth)

    outcomes = race(world.app, [setting(body) for body in bodies])
    assert statuses(outcomes) == {200: RACERS}
    stored = firestore.collection("orgs").document(org_id).get().to_dict()
    kept = {"mode": stored["agent_mode"], "hosts": stored["agent_hosts"]}
    assert kept in bodies  # one change whole, never a mix of two
    events = world.client.get("/orgs/acme/events?limit=100", headers=auth).get_json()["items"]
    assert [e["reason"] for e in events if e["type"] == "org.updated"] == ["agent_policy"] * RACERS
