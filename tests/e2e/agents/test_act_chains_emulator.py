"""Delegation (RFC 8693 ``actor_token``) on the Firestore emulator: agents registered with
``--agent`` act for a person in an ``act`` chain three deep, a fourth is refused, the
subject's ``may_act`` (written by the operator's before_token hook) refuses another actor,
and the person's revoking their grant to one agent ends every token of the chain at the next
introspection (docs/agents-and-clis.md, "Agents acting for agents: act chains")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from bootstrap import build_adapters
from domain.provider.token_exchange import ACCESS_TOKEN, ACT_GRANTS, GRANT_TYPE
from tests.support.app import app_on
from tests.support.dpop import claims_of
from tests.support.hook_receiver import HookReceiver, hook_receiver
from tests.support.oauth import EmulatorWorld, csrf_of
from tests.support.settings import make_settings
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.e2e

API = "https://api.example.com/"
BILLING = "https://billing.example.com/"


@pytest.fixture
def app(firestore: Any) -> Flask:
    settings = make_settings(app_profile="local")  # a hook receiver on 127.0.0.1
    return app_on(settings, build_adapters(settings, firestore=firestore))


@pytest.fixture
def world(app: Flask) -> EmulatorWorld:
    return EmulatorWorld(app)


@pytest.fixture
def receiver() -> Iterator[HookReceiver]:
    with hook_receiver() as state:
        yield state


def service_of(world: EmulatorWorld) -> dict[str, Any]:
    return world.register(
        "--confidential", "--grant", "token_exchange", "--resource", API, "--resource", BILLING,
        name="Orders API",
    )  # fmt: skip


def agent_token(world: EmulatorWorld, name: str) -> tuple[dict[str, Any], str]:
    """An agent client, and the person's access token for it (their grant to the agent)."""
    agent = world.register("--agent", name=name)
    token: str = world.tokens(agent)["access_token"]
    return agent, token


def exchange(
    world: EmulatorWorld, service: dict[str, Any], subject: str, target: str, actor: str
) -> TestResponse:
    body = {
        "grant_type": GRANT_TYPE,
        "subject_token": subject,
        "subject_token_type": ACCESS_TOKEN,
        "actor_token": actor,
        "actor_token_type": ACCESS_TOKEN,
        "resource": target,
        "client_id": service["client_id"],
        "client_secret": service["client_secret"],
    }
    return world.client.post("/oauth/token", data=body)


def made(answer: TestResponse) -> str:
    assert answer.status_code == 200, answer.get_json()
    token: str = answer.get_json()["access_token"]
    return token


def refused(answer: TestResponse, error: str) -> str:
    assert answer.status_code == 400, answer.get_json()
    assert answer.get_json()["error"] == error, answer.get_json()
    description: str = answer.get_json()["error_description"]
    return description


def active(world: EmulatorWorld, service: dict[str, Any], token: str) -> bool:
    auth = {"client_id": service["client_id"], "client_secret": service["client_secret"]}
    found = world.client.post("/oauth/introspect", data={"token": token, **auth}).get_json()
    return bool(found["active"])


def test_three_agents_chain_and_a_fourth_is_refused(world: EmulatorWorld) -> None:
    service = service_of(world)
    subject = world.tokens(service, resource=API)["access_token"]
    agents = [agent_token(world, f"Agent {n}") for n in (1, 2, 3, 4)]
    first = made(exchange(world, service, subject, BILLING, agents[0][1]))
    second = made(exchange(world, service, first, API, agents[1][1]))
    third = made(exchange(world, service, second, BILLING, agents[2][1]))
    ids = [agent["client_id"] for agent, _ in agents]
    claims = claims_of(third)
    assert claims["sub"] == claims_of(subject)["sub"]
    assert claims["act"] == {"sub": ids[2], "act": {"sub": ids[1], "act": {"sub": ids[0]}}}
    assert len(claims[ACT_GRANTS]) == 3
    assert all(active(world, service, token) for token in (first, second, third))
    auth = {"client_id": service["client_id"], "client_secret": service["client_secret"]}
    seen = world.client.post("/oauth/introspect", data={"token": third, **auth}).get_json()
    assert seen["act"] == claims["act"] and ACT_GRANTS not in seen  # RFC 8693 §4.1
    fourth = exchange(world, service, third, API, agents[3][1])
    assert "3 actors" in refused(fourth, "invalid_grant")


def test_the_actor_token_must_be_an_agents_for_the_same_person(world: EmulatorWorld) -> None:
    service = service_of(world)
    subject = world.tokens(service, resource=API)["access_token"]
    not_agent = world.register(name="A plain app")
    plain = world.tokens(not_agent)["access_token"]
    assert "--agent" in refused(exchange(world, service, subject, BILLING, plain), "invalid_grant")
    assert "not valid" in refused(
        exchange(world, service, subject, BILLING, "not.a.token"), "invalid_grant"
    )


def test_may_act_from_the_hook_refuses_another_actor(
    app: Flask, world: EmulatorWorld, receiver: HookReceiver
) -> None:
    service = service_of(world)
    (allowed, allowed_token), (other, other_token) = (
        agent_token(world, "Allowed agent"),
        agent_token(world, "Other agent"),
    )
    created = (
        app.extensions["firegate"]
        .of(HookServices)
        .hooks.set(
            SetAuthHook(ADMIN, "before_token", receiver.url, timeout_ms=2000, on_failure="deny")
        )
    )
    named = {"sub": allowed["client_id"]}
    receiver.secret = created.secret
    receiver.answer = lambda payload: (
        {"claims": {"may_act": named}} if payload["token_kind"] == "provider_access" else {}
    )
    subject = world.tokens(service, resource=API)["access_token"]
    assert claims_of(subject)["may_act"] == named
    refusal = refused(exchange(world, service, subject, BILLING, other_token), "invalid_grant")
    assert "may_act" in refusal and other["client_id"] not in refusal
    delegated = made(exchange(world, service, subject, BILLING, allowed_token))
    assert claims_of(delegated)["act"] == named and claims_of(delegated)["may_act"] == named


def test_revoking_the_persons_grant_to_one_agent_ends_the_whole_chain(
    world: EmulatorWorld,
) -> None:
    service = service_of(world)
    subject = world.tokens(service, resource=API)["access_token"]
    (first_agent, first_token), (_, second_token) = (
        agent_token(world, "Planner agent"),
        agent_token(world, "Booking agent"),
    )
    first = made(exchange(world, service, subject, BILLING, first_token))
    second = made(exchange(world, service, first, API, second_token))
    assert active(world, service, first) and active(world, service, second)
    page = world.client.get("/account/apps").get_data(as_text=True)
    revoked = world.client.post(
        "/account/apps/revoke",
        data={"client_id": first_agent["client_id"], "csrf_token": csrf_of(page)},
    )
    assert revoked.status_code == 303
    assert not active(world, service, first) and not active(world, service, second)
    assert active(world, service, subject)  # the person's own grant to the service holds
    # nor is a token of the chain exchanged again
    again = made(exchange(world, service, subject, BILLING, second_token))
    assert "not valid" in refused(
        exchange(world, service, second, BILLING, second_token), "invalid_grant"
    )
    assert active(world, service, again)
