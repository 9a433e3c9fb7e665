"""What the database sees of an agent (docs/agents-and-clis.md, "What the database sees: act
in Firebase"), on the emulators: an agent exchanges the person's token for firegate's
Firebase resource, gets a custom token, signs in to the Auth emulator, and its ID token
carries ``act``, ``scope`` and ``grant_id``; the Firestore emulator running firegate's rules
library lets it write what ``agentMay`` and ``actingAgent()`` allow and refuses the rest; the
person revokes the app on /account and the agent's Firebase session, its exchanged token
and the custom-token route all end at their next use."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from werkzeug.test import TestResponse

from bootstrap import build_adapters
from domain.federation.acting import firebase_resource
from domain.provider.token_exchange import ACCESS_TOKEN, GRANT_TYPE
from interfaces.cli.rules import library
from tests.support.api import bearer, login
from tests.support.app import app_on
from tests.support.firebase_client import claims_of, firebase_sign_in, load_rules
from tests.support.oauth import EmulatorWorld, csrf_of
from tests.support.pages import PASSWORD
from tests.support.settings import make_settings

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

API = "https://api.example.com/"
# Each write names the scope it needs in its path, and who it says acts in its data.
RULES = f"""rules_version = '2';
service cloud.firestore {{
  match /databases/{{database}}/documents {{
    match /scoped/{{uid}}/{{scope}}/{{n}} {{
      allow write: if isFiregateAccount(uid) && agentMay(scope);
    }}
    match /acting/{{uid}} {{
      allow write: if isFiregateAccount(uid) && request.resource.data.agent == actingAgent();
    }}
{library()}  }}
}}
"""


@pytest.fixture
def world(firestore: Any, clean_emulators: Any) -> EmulatorWorld:
    load_rules(clean_emulators, RULES)
    settings = make_settings()
    return EmulatorWorld(app_on(settings, build_adapters(settings, firestore=firestore)))


class Firebase:
    """A Firebase client app signed in with a custom token, reaching Firestore's REST API
    with its ID token."""

    def __init__(self, emulators: Any, custom_token: str) -> None:
        self.emulators = emulators
        self.id_token = firebase_sign_in(emulators, custom_token)["idToken"]
        self.claims = claims_of(self.id_token)

    def write(self, path: str, fields: dict[str, Any]) -> int:
        answer = requests.patch(
            f"{self.emulators.url('firestore')}/v1/projects/{self.emulators.project}"
            f"/databases/(default)/documents/{path}",
            json={"fields": fields},
            headers={"Authorization": f"Bearer {self.id_token}"},
            timeout=30,
        )
        assert answer.status_code in (200, 403), answer.text
        return answer.status_code


def exchange(world: EmulatorWorld, agent: dict[str, Any], token: str, **form: str) -> TestResponse:
    return world.post_token(
        agent,
        grant_type=GRANT_TYPE,
        subject_token=token,
        subject_token_type=ACCESS_TOKEN,
        **form,
    )


def custom_token(world: EmulatorWorld, token: str) -> TestResponse:
    return world.client.post("/auth/firebase/custom-token", headers=bearer(token))


def minted(answer: TestResponse) -> str:
    assert answer.status_code == 200, answer.get_json()
    found: str = answer.get_json()["custom_token"]
    return found


def test_an_agents_firebase_session_names_it_is_bounded_by_its_scopes_and_ends_with_its_grant(
    world: EmulatorWorld, clean_emulators: Any
) -> None:
    issuer = world.client.get("/.well-known/openid-configuration").get_json()["issuer"]
    resource = firebase_resource(issuer)
    agent = world.register(
        "--confidential", "--grant", "token_exchange", "--resource", API, "--resource", resource,
        name="Invoice agent",
    )  # fmt: skip
    person = world.tokens(agent, resource=API)
    answer = exchange(world, agent, person["access_token"], resource=resource, scope="email")
    assert answer.status_code == 200, answer.get_json()
    exchanged = answer.get_json()["access_token"]
    grant_id = claims_of(exchanged)["grant_id"]

    as_agent = Firebase(clean_emulators, minted(custom_token(world, exchanged)))
    uid = as_agent.claims["user_id"]
    # Firebase keeps the developer claims as they were minted: none is one of its own.
    assert as_agent.claims["act"] == {"sub": agent["client_id"]}
    assert as_agent.claims["scope"] == "email" and as_agent.claims["grant_id"] == grant_id
    assert as_agent.claims["sub"] == uid == claims_of(exchanged)["sub"]

    # agentMay: the token's scope lets it write, another scope does not.
    assert as_agent.write(f"scoped/{uid}/email/1", {}) == 200
    assert as_agent.write(f"scoped/{uid}/profile/1", {}) == 403
    # actingAgent(): the agent's client id, never "the person alone".
    named = {"agent": {"stringValue": agent["client_id"]}}
    assert as_agent.write(f"acting/{uid}", named) == 200
    assert as_agent.write(f"acting/{uid}", {"agent": {"nullValue": None}}) == 403

    # The person alone: no agent, every scope.
    own = login(world.client, "alice", PASSWORD)
    as_person = Firebase(clean_emulators, minted(custom_token(world, own)))
    assert "act" not in as_person.claims and "scope" not in as_person.claims
    assert as_person.write(f"scoped/{uid}/profile/1", {}) == 200
    assert as_person.write(f"acting/{uid}", {"agent": {"nullValue": None}}) == 200
    assert as_person.write(f"acting/{uid}", named) == 403

    # The person removes the app on /account: the agent's Firebase session ends at the next
    # rule evaluation, its exchanged token at the next introspection, and it gets no new
    # custom token; the person's own session goes on.
    page = world.client.get("/account/apps")
    assert "Invoice agent" in page.get_data(as_text=True)
    csrf = csrf_of(page.get_data(as_text=True))
    gone = world.client.post(
        "/account/apps/revoke", data={"client_id": agent["client_id"], "csrf_token": csrf}
    )
    assert gone.status_code in (200, 303), gone.get_data(as_text=True)
    assert as_agent.write(f"scoped/{uid}/email/2", {}) == 403
    assert as_agent.write(f"acting/{uid}", named) == 403
    body = {  # the agent asks introspection about its own token
        "token": exchanged,
        "client_id": agent["client_id"],
        "client_secret": agent["client_secret"],
    }
    assert world.client.post("/oauth/introspect", data=body).get_json() == {"active": False}
    again = custom_token(world, exchanged)
    assert again.status_code == 401 and again.get_json()["code"] == "invalid_token"
    assert as_person.write(f"scoped/{uid}/profile/2", {}) == 200


def test_a_token_for_another_resource_gets_no_custom_token(world: EmulatorWorld) -> None:
    agent = world.register("--confidential", "--resource", API, name="Elsewhere")
    person = world.tokens(agent, resource=API)
    refused = custom_token(world, person["access_token"])
    assert refused.status_code == 403
    assert refused.get_json()["code"] == "agent_token_not_for_firebase"
