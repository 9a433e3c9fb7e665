"""The ``credentials_exchange`` hook on the fakes (docs/hooks.md, "credentials_exchange"): its
claims in a client's own token and in an exchanged one, and in introspection's answer; its
scope by client; a refused answer and a failed call resolved by ``on_failure`` (a refusal is
``access_denied``, never a 500); never asked about a person's token."""

from __future__ import annotations

import json
from typing import Any

import pytest

from application.hooks.admin import AuthHookRef, SetAuthHook
from application.hooks.services import HookServices
from application.outbound import WebhookUnreachable
from bootstrap.hooks import HooksAdapters
from domain.provider.token_exchange import GRANT_TYPE
from tests.fakes.hooks import FakeHookClient
from tests.support.oauth import OAuthWorld, claims
from tests.support.token_exchange import API, BILLING, exchange, exchanger
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit
RECEIVER = "http://127.0.0.1:9/hook"
CLAIMS = {"tenant": "acme", "quota": {"rps": 10}}


@pytest.fixture
def world() -> OAuthWorld:
    return OAuthWorld(app_profile="local")


def receiver(world: OAuthWorld) -> FakeHookClient:
    found = world.adapters.of(HooksAdapters).hook_client
    assert isinstance(found, FakeHookClient)
    return found


def hook(world: OAuthWorld, answer: object, **more: Any) -> None:
    world.services.of(HookServices).hooks.set(
        SetAuthHook(ADMIN, "credentials_exchange", RECEIVER, **more)
    )
    receiver(world).answer = answer
    receiver(world).asked.clear()


def payloads(world: OAuthWorld) -> list[dict[str, Any]]:
    return [json.loads(body) for _, body, _, _, _ in receiver(world).asked]


def own_token(world: OAuthWorld, client: dict[str, Any], **form: str) -> Any:
    return world.post_token(client, grant_type="client_credentials", **form)


def introspected(world: OAuthWorld, client: dict[str, Any], token: str) -> dict[str, Any]:
    body = {"token": token, "client_id": client["client_id"]}
    body["client_secret"] = client["client_secret"]
    found: dict[str, Any] = world.client.post("/oauth/introspect", data=body).get_json()
    return found


def test_a_clients_own_token_carries_the_hooks_claims_and_introspection_answers_them(
    world: OAuthWorld,
) -> None:
    service = exchanger(world)
    hook(world, {"claims": CLAIMS})
    answered = own_token(world, service, resource=API)
    assert answered.status_code == 200, answered.get_json()
    token = answered.get_json()["access_token"]
    made = claims(world, token)
    assert {k: made[k] for k in CLAIMS} == CLAIMS and made["sub"] == service["client_id"]
    assert made["hook_claims"] == ["quota", "tenant"]
    [sent] = payloads(world)
    assert sent == {
        "client": {"client_id": service["client_id"], "org_id": None},
        "scope": made["scope"],
        "audience": API,
        "grant_type": "client_credentials",
    }
    answer = introspected(world, service, token)
    assert answer["active"] is True and answer["tenant"] == "acme"
    assert answer["quota"] == {"rps": 10} and answer["sub"] == service["client_id"]


def test_an_exchanged_token_carries_them_and_the_hook_is_told_the_subject(
    world: OAuthWorld,
) -> None:
    service = exchanger(world, "--grant", "token_exchange")
    person = world.tokens(service, resource=API)["access_token"]
    hook(world, {"claims": CLAIMS})
    answered = exchange(world, service, person)
    assert answered.status_code == 200, answered.get_json()
    made = claims(world, answered.get_json()["access_token"])
    assert made["tenant"] == "acme" and made["act"] == {"sub": service["client_id"]}
    [sent] = payloads(world)
    assert sent["grant_type"] == GRANT_TYPE and sent["audience"] == BILLING
    subject = claims(world, person)
    assert sent["subject"] == {
        "sub": subject["sub"],
        "client_id": service["client_id"],
        "act": None,
    }


def test_a_persons_token_is_not_its_to_say(world: OAuthWorld) -> None:
    service = exchanger(world)
    hook(world, {"claims": CLAIMS})
    tokens = world.tokens(service, resource=API)
    assert "tenant" not in claims(world, tokens["access_token"])
    assert receiver(world).asked == []


def test_a_hook_scoped_to_another_client_is_not_asked(world: OAuthWorld) -> None:
    service, other = exchanger(world), world.register("--confidential", name="Other")
    hook(world, {"claims": CLAIMS}, clients=(other["client_id"],))
    made = claims(world, own_token(world, service).get_json()["access_token"])
    assert "tenant" not in made and "hook_claims" not in made
    assert receiver(world).asked == []
    assert claims(world, own_token(world, other).get_json()["access_token"])["tenant"] == "acme"


@pytest.mark.parametrize(
    "answer",
    [
        {"claims": {"tenant": "acme", "sub": "someone"}},
        {"claims": {"blob": "x" * 1000}},
        WebhookUnreachable("deadline_exceeded"),
    ],
    ids=["reserved", "too-large", "unanswered"],
)
def test_a_failed_call_is_ignored_when_it_allows_and_access_denied_when_it_denies(
    answer: object,
) -> None:
    world = OAuthWorld(app_profile="local")
    service = exchanger(world, "--grant", "token_exchange")
    person = world.tokens(service, resource=API)["access_token"]
    hook(world, answer)
    allowed = own_token(world, service)
    assert allowed.status_code == 200
    assert "tenant" not in claims(world, allowed.get_json()["access_token"])
    [set_first] = world.adapters.of(HooksAdapters).auth_hooks.list_all()
    world.services.of(HookServices).hooks.remove(AuthHookRef(ADMIN, set_first.hook_id))
    hook(world, answer, on_failure="deny")
    for refused in (own_token(world, service), exchange(world, service, person)):
        assert refused.status_code == 400, refused.get_json()
        body = refused.get_json()
        assert body["error"] == "access_denied" and "check" in body["error_description"]
        assert refused.headers["Cache-Control"] == "no-store"
