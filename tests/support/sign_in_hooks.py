"""A before_sign_in hook on the fakes, answering as a test says, and what it was told: for the
tests of every way in (tests/unit/hooks/test_before_sign_in.py, and a unit's way in)."""

from __future__ import annotations

import json
from typing import Any

from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from bootstrap.hooks import HooksAdapters
from tests.fakes.hooks import FakeHookClient
from tests.support.api import assert_problem
from tests.support.app import World
from tests.support.webhooks import ADMIN

RECEIVER = "http://127.0.0.1:9/hook"
DENY = {"decision": "deny", "message": "Not from this network."}


def receiver(world: World) -> FakeHookClient:
    client = world.adapters.of(HooksAdapters).hook_client
    assert isinstance(client, FakeHookClient)
    return client


def hook(world: World, answer: object, *, on_failure: str = "allow") -> None:
    """The world's before_sign_in hook answers ``answer``."""
    world.services.of(HookServices).hooks.set(
        SetAuthHook(ADMIN, "before_sign_in", RECEIVER, on_failure=on_failure)
    )
    receiver(world).answer = answer
    receiver(world).asked.clear()


def payloads(world: World) -> list[dict[str, Any]]:
    return [json.loads(body) for _, body, _, _, _ in receiver(world).asked]


def denied(answer: Any) -> None:
    assert assert_problem(answer, 403, "signin_denied")["detail"] == "Not from this network."
