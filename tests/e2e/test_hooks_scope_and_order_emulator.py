"""Several hooks of a kind and the credentials_exchange hook on the emulators, against real
receivers that check each call's signature (tests/support/hook_receiver.py): two before_token
hooks asked in their order both add claims, a hook scoped to another client is not asked,
the kind's 5 seconds shared between its hooks; a client's own token with the
credentials_exchange claims, in introspection too, and access_denied when a failed hook
denies (docs/hooks.md, "Scope and order", "credentials_exchange")."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from flask import Flask

from application.hooks.admin import ListAuthHooks, SetAuthHook
from application.hooks.services import HookServices
from bootstrap import build_adapters
from tests.support.app import app_on
from tests.support.hook_receiver import HookReceiver, hook_receiver
from tests.support.oauth import EmulatorWorld
from tests.support.settings import make_settings
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.e2e


@pytest.fixture
def app(firestore: Any) -> Flask:
    # The local profile: receivers on 127.0.0.1 may be called.
    settings = make_settings(app_profile="local")
    return app_on(settings, build_adapters(settings, firestore=firestore))


@pytest.fixture
def receivers() -> Iterator[list[HookReceiver]]:
    with ExitStack() as stack:
        yield [stack.enter_context(hook_receiver()) for _ in range(3)]


def add_hook(app: Flask, receiver: HookReceiver, kind: str, answer: Any, **more: Any) -> None:
    created = (
        app.extensions["firegate"]
        .of(HookServices)
        .hooks.set(SetAuthHook(ADMIN, kind, receiver.url, **more))
    )
    receiver.secret, receiver.answer = created.secret, answer


def payload(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    found: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return found


def test_two_before_token_hooks_in_order_both_add_claims_a_scoped_one_is_not_asked(
    app: Flask, receivers: list[HookReceiver]
) -> None:
    world = EmulatorWorld(app)
    client = world.register()
    first, second, elsewhere = receivers
    asked: list[str] = []

    def answering(name: str, claims: dict[str, Any]) -> Any:
        def answer(sent: dict[str, Any]) -> dict[str, Any]:
            asked.append(f"{name}:{sent['token_kind']}")
            return {"claims": claims}

        return answer

    # Added second-first: the order, not the age, says who is asked first.
    add_hook(app, second, "before_token", answering("second", {"b": 2, "shared": "b"}), order=2)
    add_hook(app, first, "before_token", answering("first", {"a": 1, "shared": "a"}), order=1)
    add_hook(
        app,
        elsewhere,
        "before_token",
        answering("elsewhere", {"c": 3}),
        clients=("another-client",),
    )
    tokens = world.tokens(client)
    access, id_token = payload(tokens["access_token"]), payload(tokens["id_token"])
    for token in (access, id_token):
        assert (token["a"], token["b"], token["shared"]) == (1, 2, "b")  # later wins
        assert "c" not in token
    assert asked == [
        "first:provider_access",
        "second:provider_access",
        "first:id_token",
        "second:id_token",
    ]
    assert elsewhere.received == [] and first.refused == second.refused == []
    views = app.extensions["firegate"].of(HookServices).hooks.list(ListAuthHooks(ADMIN))
    assert [(v.hook.order, len(v.calls)) for v in views] == [(0, 0), (1, 2), (2, 2)]


def test_the_kinds_hooks_share_five_seconds(app: Flask, receivers: list[HookReceiver]) -> None:
    """Each receiver answers after 3 s: the first (4 s of its own) answers; the second is cut
    at what is left, 2 s, and its failure denies."""
    world = EmulatorWorld(app)
    client = world.register()
    slow, slower, _ = receivers
    slow.delay = slower.delay = 3.0
    add_hook(app, slow, "before_token", lambda sent: {"claims": {"a": 1}}, timeout_ms=4000)
    add_hook(
        app,
        slower,
        "before_token",
        lambda sent: {"claims": {"b": 2}},
        order=1,
        timeout_ms=4000,
        on_failure="deny",
    )
    began = time.monotonic()
    code, verifier = world.code(client["client_id"])
    refused = world.exchange(client, code, verifier)
    took = time.monotonic() - began
    assert refused.status_code == 403, refused.get_json()
    assert refused.get_json()["code"] == "hook_failed"
    assert took < 7.0  # 3 s, then 2 s cut (and the code's own round trips), not 3 + 4 s
    views = app.extensions["firegate"].of(HookServices).hooks.list(ListAuthHooks(ADMIN))
    cut = next(v for v in views if v.hook.url == slower.url)
    [call] = cut.calls
    assert call.outcome.value == "timeout" and 1500 <= call.duration_ms <= 2600


def test_credentials_exchange_claims_in_a_clients_own_token_and_its_introspection(
    app: Flask, receivers: list[HookReceiver]
) -> None:
    world = EmulatorWorld(app)
    service = world.register("--confidential", name="Orders service")
    other = world.register("--confidential", name="Other service")
    hook, scoped, _ = receivers
    add_hook(app, hook, "credentials_exchange", lambda sent: {"claims": {"tenant": "acme"}})
    add_hook(
        app,
        scoped,
        "credentials_exchange",
        lambda sent: {"claims": {"tier": "gold"}},
        clients=(other["client_id"],),
    )
    answered = world.post_token(service, grant_type="client_credentials")
    assert answered.status_code == 200, answered.get_json()
    token = answered.get_json()["access_token"]
    made = payload(token)
    assert made["tenant"] == "acme" and "tier" not in made
    assert made["sub"] == service["client_id"]
    [sent] = hook.received
    assert sent["grant_type"] == "client_credentials"
    assert sent["client"] == {"client_id": service["client_id"], "org_id": None}
    assert scoped.received == []  # scoped to another client
    body = {"token": token, "client_id": service["client_id"]}
    body["client_secret"] = service["client_secret"]
    introspected = world.client.post("/oauth/introspect", data=body).get_json()
    assert introspected["active"] is True and introspected["tenant"] == "acme"
    assert (
        payload(
            world.post_token(other, grant_type="client_credentials").get_json()["access_token"]
        )["tier"]
        == "gold"
    )


def test_a_failed_credentials_exchange_hook_that_denies_is_access_denied(
    app: Flask, receivers: list[HookReceiver]
) -> None:
    world = EmulatorWorld(app)
    service = world.register("--confidential", name="Orders service")
    hook, *_ = receivers
    add_hook(
        app,
        hook,
        "credentials_exchange",
        lambda sent: {"claims": {"sub": "someone-else"}},  # a reserved claim: a failure
        on_failure="deny",
    )
    refused = world.post_token(service, grant_type="client_credentials")
    assert refused.status_code == 400, refused.get_json()
    assert refused.get_json()["error"] == "access_denied"
    assert len(hook.received) == 1
