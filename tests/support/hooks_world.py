"""The hooks' use cases and their one caller over fakes: the store, a receiver answering as
told, a clock, a resolver; for the unit tests of the hooks."""

from __future__ import annotations

from collections.abc import Mapping

from application.hooks.admin import AuthHooks, SetAuthHook
from application.hooks.caller import HookCache, HookCaller, HookResult
from application.hooks.ports import HookPolicy
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
