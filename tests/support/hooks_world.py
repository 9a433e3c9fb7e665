"""The hooks' use cases and their one caller over fakes: the store, a receiver answering as
told, a clock, a resolver, and receivers that answer by URL (``Receivers``); for the unit
tests of the hooks and of a unit's kind."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from application.hooks.admin import AuthHooks, SetAuthHook
from application.hooks.caller import HookCache, HookCaller, HookResult
from application.hooks.ports import HookPolicy
from application.outbound import Answer
from domain.hooks.auth_hooks import checked_claims
from domain.hooks.kinds import HookKinds
from infrastructure.metrics.prometheus import PrometheusMetrics
from tests.fakes.hooks import FakeAuthHooks, FakeHookClient
from tests.fakes.kernel import FakeClock, FakeHostResolver
from tests.support.hook_kinds import BEFORE_TOKEN, CORE_KINDS
from tests.support.metrics import samples
from tests.support.webhooks import ADMIN, BOX

PAYLOAD = {"user": {"email": "ada@example.com"}}


class World:
    def __init__(
        self,
        answer: object = None,
        status: int = 200,
        *,
        local: bool = True,
        kinds: HookKinds = CORE_KINDS,
    ) -> None:
        self.clock = FakeClock()
        self.store = FakeAuthHooks()
        self.client = FakeHookClient(answer, status)
        self.metrics = PrometheusMetrics()
        self.policy = HookPolicy(local=local)
        self.cache = HookCache(self.store, self.clock, ttl=5)
        self.resolver = FakeHostResolver(
            {"hooks.example.com": ["93.184.215.14"], "inside.example.com": ["10.0.0.7"]}
        )
        self.caller = HookCaller(
            cache=self.cache,
            store=self.store,
            box=BOX,
            resolver=self.resolver,
            client=self.client,
            clock=self.clock,
            policy=self.policy,
            metrics=self.metrics,
        )
        self.admin = AuthHooks(
            kinds=kinds,
            store=self.store,
            cache=self.cache,
            caller=self.caller,
            box=BOX,
            clock=self.clock,
            policy=self.policy,
        )

    def set(
        self, kind: str = "before_token", url: str = "https://hooks.example.com/in", **more: object
    ) -> str:
        created = self.admin.set(SetAuthHook(ADMIN, kind, url, **more))  # type: ignore[arg-type]
        return created.secret

    def claims(self) -> HookResult[Mapping[str, object]]:
        """The first hook's result (no hook: a result of none)."""
        results = self.caller.call_all(BEFORE_TOKEN, PAYLOAD, checked_claims)
        return results[0] if results else HookResult(None)

    def counted(self) -> dict[str, float]:
        return samples(self.metrics.exposition().decode())


HOST = "https://hooks.example.com"


class Receivers:
    """Answers each URL with its own answer (an exception: raised), after ``takes`` seconds
    of the world's clock; keeps each call's URL, payload and deadline."""

    def __init__(self, world: World, takes: float = 0.0) -> None:
        self.world, self.takes = world, takes
        self.answers: dict[str, object] = {}
        self.asked: list[tuple[str, dict[str, Any], float | None]] = []
        world.caller = type(world.caller)(
            cache=world.cache,
            store=world.store,
            box=world.caller.box,
            resolver=world.resolver,
            client=self,
            clock=world.clock,
            policy=world.policy,
            metrics=world.metrics,
        )

    def exchange(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        *,
        address: str | None,
        limit: int,
        timeout: float | None = None,
    ) -> Answer:
        self.asked.append((url.removeprefix(HOST), json.loads(body or b"{}"), timeout))
        self.world.clock.advance(seconds=self.takes)
        answer = self.answers.get(url.removeprefix(HOST), {})
        if isinstance(answer, Exception):
            raise answer
        return Answer(200, "", (), json.dumps(answer).encode())

    def urls(self) -> list[str]:
        return [url for url, _, _ in self.asked]


def add(world: World, kind: str, path: str, **more: Any) -> None:
    """A hook at ``path``, a millisecond after the one before (ties in order go by age)."""
    world.clock.advance(seconds=0.001)
    world.admin.set(SetAuthHook(ADMIN, kind, f"{HOST}{path}", **more))
