"""Minting identity assertion JWT authorization grants (ID-JAG,
draft-ietf-oauth-identity-assertion-authz-grant): the rules of
domain/agents/id_jag.py against the draft's example request, grant and response,
then the token exchange on the fakes: minted only for a client the person's org's agent
policy names, none by default, the JWT verified with the JWKS; each refusal in RFC 6749's
terms (docs/reference/oauth.md, "ID-JAG minting"; docs/decisions/0550-minting-id-jags.md)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from domain.agents.id_jag import (
    ID_JAG,
    ID_JAG_LIFETIME,
    IdJagRequest,
    id_jag_answer,
    id_jag_claims,
    id_token_for,
)
from domain.clients.oauth import JWT_BEARER, OPT_IN_GRANTS
from domain.provider.token_exchange import ACCESS_TOKEN, GRANT_TYPE, ID_TOKEN, ExchangeRefused
from domain.signin.active_org import ActiveOrg, AgentMode, AgentPolicy
from interfaces.provider.server.assembly import token_grants
from tests.support.oauth import OAuthWorld

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[3]

# The draft's §4.3 example request (tokens truncated as the draft has them), as sent.
DRAFT_REQUEST = (
    "grant_type=urn:ietf:params:oauth:grant-type:token-exchange"
    "&requested_token_type=urn:ietf:params:oauth:token-type:id-jag"
    "&audience=https://acme.chat.example/"
    "&resource=https://api.chat.example/"
    "&scope=chat.read+chat.history"
    "&subject_token=eyJraWQiOiJzMTZ0cVNtODhwREo4VGZCXzdrSEtQ"
    "&subject_token_type=urn:ietf:params:oauth:token-type:id_token"
)
# The draft's §4.3.2 example grant's claims, but for the optional auth_time and amr.
DRAFT_CLAIMS: dict[str, Any] = {
    "jti": "9e43f81b64a33f20116179",
    "iss": "https://acme.idp.example/",
    "sub": "U019488227",
    "aud": "https://acme.chat.example/",
    "client_id": "f53f191f9311af35",
    "exp": 1311281970,
    "iat": 1311280970,
    "resource": "https://api.chat.example/",
    "scope": "chat.read chat.history",
}


def test_the_drafts_example_request_is_read() -> None:
    form = parse_qs(DRAFT_REQUEST)
    assert form["grant_type"] == [GRANT_TYPE] and form["requested_token_type"] == [ID_JAG]
    found = IdJagRequest.parse(form)
    assert found.audience == "https://acme.chat.example/"
    assert found.resource == "https://api.chat.example/"
    assert found.scope == ("chat.read", "chat.history")
    assert found.subject_token == "eyJraWQiOiJzMTZ0cVNtODhwREo4VGZCXzdrSEtQ"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"subject_token_type": [ACCESS_TOKEN]}, "invalid_request"),
        ({"subject_token_type": ["urn:ietf:params:oauth:token-type:saml2"]}, "invalid_request"),
        ({"audience": []}, "invalid_request"),
        ({"resource": []}, "invalid_request"),
        ({"resource": ["https://a.example/", "https://b.example/"]}, "invalid_target"),
        ({"actor_token": ["a"], "actor_token_type": [ACCESS_TOKEN]}, "invalid_request"),
        ({"scope": [""]}, "invalid_scope"),
    ],
)
def test_what_the_draft_does_not_ask_for_is_refused(
    change: dict[str, list[str]], error: str
) -> None:
    form = {**parse_qs(DRAFT_REQUEST), **change}
    with pytest.raises(ExchangeRefused) as refused:
        IdJagRequest.parse({k: v for k, v in form.items() if v})
    assert refused.value.error == error


def test_the_grant_has_the_drafts_claims_and_lives_five_minutes() -> None:
    made = id_jag_claims(
        issuer=DRAFT_CLAIMS["iss"],
        subject=DRAFT_CLAIMS["sub"],
        audience=DRAFT_CLAIMS["aud"],
        client_id=DRAFT_CLAIMS["client_id"],
        jti=DRAFT_CLAIMS["jti"],
        now=1311280970,
        resource=DRAFT_CLAIMS["resource"],
        scope=("chat.read", "chat.history"),
        org_id="org1",
    )
    assert made == {**DRAFT_CLAIMS, "exp": 1311280970 + ID_JAG_LIFETIME, "org_id": "org1"}
    assert ID_JAG_LIFETIME <= 300


def test_the_answer_is_the_drafts() -> None:
    assert id_jag_answer("eyJhbGciOiJIUzI1NiIsI...", 300, ("chat.read", "chat.history")) == {
        "issued_token_type": "urn:ietf:params:oauth:token-type:id-jag",
        "access_token": "eyJhbGciOiJIUzI1NiIsI...",
        "token_type": "N_A",
        "scope": "chat.read chat.history",
        "expires_in": 300,
    }


def test_the_id_token_must_be_the_clients() -> None:
    assert id_token_for({"aud": "c1"}, "c1")
    assert id_token_for({"aud": ["c1"]}, "c1")
    assert id_token_for({"aud": ["c1", "c2"], "azp": "c1"}, "c1")
    assert not id_token_for({"aud": ["c1", "c2"]}, "c1")
    assert not id_token_for({"aud": "c2"}, "c1")


# -- at the token endpoint, on the fakes

API = "https://api.chat.example/"
CHAT_AS = "https://acme.chat.example/"
OWN_API = "https://mcp.firegate.example/"
ACME = ActiveOrg(
    id="org1Xq_AcmeId00",
    slug="acme",
    roles=("member",),
    version=1,
    name="Acme",
    permissions=("chat.read", "chat.history", "tools.run"),
)


@pytest.fixture
def world() -> OAuthWorld:
    w = OAuthWorld()
    runner = w.app.test_cli_runner()
    for args in (
        [
            "resources",
            "add",
            API,
            "--issuer",
            CHAT_AS,
            "--scope",
            "chat.read",
            "--scope",
            "chat.history",
            "--description",
            "chat.read",
            "Read",
            "--description",
            "chat.history",
            "History",
        ],
        ["resources", "add", OWN_API, "--scope", "tools.run", "--description", "tools.run", "Run"],
    ):
        done = runner.invoke(args=args)
        assert done.exit_code == 0, done.output
    return w


def set_policy(world: OAuthWorld, policy: AgentPolicy) -> None:
    alice = next(u for u in world.store.users.values() if u.shown_name == "alice")
    world.store.active_orgs[(ACME.id, alice.id)] = replace(ACME, agents=policy)


def agent(world: OAuthWorld) -> dict[str, Any]:
    """A confidential client at app.example.com, allowed token exchange and both resources."""
    return world.register(
        "--confidential", "--grant", "token_exchange", "--resource", API, "--resource", OWN_API,
        "--resource-scope", "chat.read", "--resource-scope", "chat.history",
        "--resource-scope", "tools.run", name="Wiki agent",
    )  # fmt: skip


NAMED = AgentPolicy(AgentMode.ALLOW_LIST, ("app.example.com",))


def id_token(world: OAuthWorld, client: dict[str, Any]) -> str:
    tokens = world.tokens(client, scope="openid organization", organization="acme")
    found: str = tokens["id_token"]
    return found


def mint(world: OAuthWorld, client: dict[str, Any], subject: str, **form: str) -> Any:
    body = {
        "grant_type": GRANT_TYPE,
        "requested_token_type": ID_JAG,
        "subject_token": subject,
        "subject_token_type": ID_TOKEN,
        "audience": CHAT_AS,
        "resource": API,
        **form,
    }
    return world.post_token(client, **body)


def refused(answer: Any, error: str) -> str:
    assert answer.status_code == 400, answer.get_json()
    assert answer.get_json()["error"] == error, answer.get_json()
    description: str = answer.get_json()["error_description"]
    return description


def test_a_client_the_orgs_policy_names_gets_an_id_jag_verified_by_the_jwks(
    world: OAuthWorld,
) -> None:
    client = agent(world)
    set_policy(world, NAMED)
    subject = id_token(world, client)
    answer = mint(world, client, subject, scope="chat.read")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["issued_token_type"] == ID_JAG and body["token_type"] == "N_A"
    assert body["expires_in"] == ID_JAG_LIFETIME and body["scope"] == "chat.read"
    assert "refresh_token" not in body
    keys = KeySet.import_key_set(world.client.get("/.well-known/jwks.json").get_json())
    decoded = jwt.decode(body["access_token"], keys)
    assert decoded.header["typ"] == "oauth-id-jag+jwt"
    found = dict(decoded.claims)
    # the draft's claims, its optional ones of the sign-in, and the org that named the client
    assert set(found) == {*DRAFT_CLAIMS, "auth_time", "acr", "amr", "org_id"}
    alice = next(u for u in world.store.users.values() if u.shown_name == "alice")
    assert (found["sub"], found["aud"], found["client_id"]) == (
        alice.id,
        CHAT_AS,
        client["client_id"],
    )
    assert (found["resource"], found["scope"], found["org_id"]) == (API, "chat.read", ACME.id)
    assert (
        found["iss"] == world.client.get("/.well-known/openid-configuration").get_json()["issuer"]
    )
    assert 0 < found["exp"] - found["iat"] <= 300 and abs(found["iat"] - time.time()) < 30
    # no scope asked: the resource's the client is allowed and the person's roles carry
    whole = mint(world, client, subject).get_json()
    assert whole["scope"] == "chat.read chat.history"
    # firegate's own resource: the audience is firegate's own issuer
    own = mint(world, client, subject, audience=found["iss"], resource=OWN_API)
    assert own.status_code == 200 and own.get_json()["scope"] == "tools.run"
    # which names the sign-in's grant, for firegate alone to read again when it redeems it
    assert "grant_id" in jwt.decode(own.get_json()["access_token"], keys).claims


def test_none_is_minted_unless_the_policy_names_the_client(world: OAuthWorld) -> None:
    client = agent(world)
    set_policy(world, AgentPolicy())  # never set: any app acts, none gets an ID-JAG
    subject = id_token(world, client)
    assert "does not name" in refused(mint(world, client, subject), "invalid_grant")
    set_policy(world, AgentPolicy(AgentMode.ALLOW_LIST, ("other.example",)))
    assert "does not name" in refused(mint(world, client, subject), "invalid_grant")
    set_policy(world, NAMED)
    assert mint(world, client, subject).status_code == 200


def test_each_refusal_says_what_is_wrong(world: OAuthWorld) -> None:
    client = agent(world)
    set_policy(world, NAMED)
    subject = id_token(world, client)
    assert refused(mint(world, client, subject, audience=OWN_API), "invalid_target")
    assert refused(
        mint(world, client, subject, resource="https://nowhere.example/"), "invalid_target"
    )
    assert refused(mint(world, client, "a.b.c"), "invalid_grant")
    access = world.tokens(client, scope="openid organization", organization="acme")
    as_access = mint(world, client, access["access_token"], subject_token_type=ACCESS_TOKEN)
    assert "id_token" in refused(as_access, "invalid_request")
    assert refused(mint(world, client, access["access_token"]), "invalid_grant")  # not an ID token
    assert refused(mint(world, client, subject, scope="openid chat.read"), "invalid_scope")
    assert refused(mint(world, client, subject, scope="tools.run"), "invalid_scope")
    other = agent(world)
    assert "not issued to this client" in refused(mint(world, other, subject), "invalid_grant")
    in_no_org = world.tokens(client, scope="openid")["id_token"]
    assert "organization" in refused(mint(world, client, in_no_org), "invalid_grant")
    public = world.register("--grant", "device_code", name="A public app")
    assert mint(world, public, subject).status_code in (400, 401)


def test_a_person_gone_from_the_org_gets_none(world: OAuthWorld) -> None:
    client = agent(world)
    set_policy(world, NAMED)
    subject = id_token(world, client)
    alice = next(u for u in world.store.users.values() if u.shown_name == "alice")
    del world.store.active_orgs[(ACME.id, alice.id)]
    assert "organization" in refused(mint(world, client, subject), "invalid_grant")


def test_the_metadata_says_id_jags_are_minted(world: OAuthWorld) -> None:
    meta = world.client.get("/.well-known/openid-configuration").get_json()
    assert meta["identity_chaining_requested_token_types_supported"] == [ID_JAG]


def test_the_units_grant_is_served_and_the_policy_needs_no_walk_at_it(world: OAuthWorld) -> None:
    """The agents' grant of the token endpoint (the provider's ``TOKEN_GRANTS``), served
    with the unit, beside the core's, each walked in
    tests/unit/provider/test_agent_policy_paths.py: an ID-JAG's token carries no org, the
    policy is asked where the ID-JAG is minted, and an org's own IdP that vouches by one is
    the org's say (decision 0548)."""
    served = world.client.get("/.well-known/openid-configuration").get_json()
    core = {str(grant.GRANT_TYPE) for grant, _ in token_grants()}
    assert set(served["grant_types_supported"]) - core == {JWT_BEARER}
    assert JWT_BEARER in OPT_IN_GRANTS.values()


# The token endpoint without the unit, in a process of its own (the pages' parts are the
# process's): a JWT bearer grant, an ID-JAG asked of the token exchange, an actor_token
WITHOUT_AGENTS = """
import json
from domain.clients.oauth import JWT_BEARER
from domain.provider.token_exchange import ACCESS_TOKEN, GRANT_TYPE, ID_TOKEN
from tests.support.oauth import OAuthWorld

ID_JAG = "urn:ietf:params:oauth:token-type:id-jag"
world = OAuthWorld(units_off="agents")
client = world.register("--confidential", "--grant", "token_exchange")
auth = (client["client_id"], client["client_secret"])
asked = {
    "grant_type": GRANT_TYPE,
    "subject_token": "a",
    "subject_token_type": ID_TOKEN,
    "requested_token_type": ID_JAG,
    "audience": "https://api.example/",
    "resource": "https://api.example/",
}
acting = {
    **asked,
    "subject_token_type": ACCESS_TOKEN,
    "requested_token_type": ACCESS_TOKEN,
    "actor_token": "a",
    "actor_token_type": ACCESS_TOKEN,
}
answers = [
    world.client.post("/oauth/token", data=form, auth=auth)
    for form in ({"grant_type": JWT_BEARER, "assertion": "a.b.c"}, asked, acting)
]
meta = world.client.get("/.well-known/openid-configuration").get_json()
print(json.dumps({
    "answers": [[a.status_code, a.get_json()["error"], a.get_json()["error_description"]]
                for a in answers],
    "grants": meta["grant_types_supported"],
    "chaining": "identity_chaining_requested_token_types_supported" in meta,
}))
"""


def test_without_the_unit_its_grant_and_token_types_are_the_standard_refusals() -> None:
    """UNITS_OFF=agents: the JWT bearer grant is unsupported_grant_type (RFC 6749 §5.2), an
    ID-JAG asked of the token exchange and an actor_token are invalid_request (RFC 8693
    §2.2.2), and the metadata names neither."""
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_AGENTS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(result.stdout.strip().splitlines()[-1])
    (bearer, minting, acting) = found["answers"]
    assert bearer[:2] == [400, "unsupported_grant_type"]
    assert minting[:2] == [400, "invalid_request"] and "requested_token_type" in minting[2]
    assert acting[:2] == [400, "invalid_request"] and "actor_token" in acting[2]
    assert JWT_BEARER not in found["grants"] and not found["chaining"]
