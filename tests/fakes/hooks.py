"""Fakes of the auth hooks' ports: their store and the client that calls one."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping

from application.outbound import Answer, DocumentTooLarge
from domain.errors import Unavailable
from domain.hooks.auth_hooks import (
    CALLS_KEPT,
    MAX_HOOKS_PER_KIND,
    AuthHook,
    HookCall,
    call_slot,
    too_many_hooks,
)


class FakeAuthHooks:
    """The auth hooks' store: up to ``MAX_HOOKS_PER_KIND`` hooks per kind, each one's calls
    in ``CALLS_KEPT`` slots as Firestore keeps them. ``failing``: record raises, as a store
    that is down would."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.hooks: dict[str, AuthHook] = {}
        self.slots: dict[tuple[str, int], HookCall] = {}
        self.failing = False
        self.reads = 0  # list_all calls: the callers' cache keeps them few

    def add(self, hook: AuthHook) -> None:
        with self.lock:
            if sum(h.kind == hook.kind for h in self.hooks.values()) >= MAX_HOOKS_PER_KIND:
                raise too_many_hooks()
            self.hooks[hook.hook_id] = hook

    def list_all(self) -> list[AuthHook]:
        with self.lock:
            self.reads += 1
            return sorted(self.hooks.values(), key=lambda h: (h.kind, h.place))

    def delete(self, hook_id: str) -> bool:
        with self.lock:
            if self.hooks.pop(hook_id, None) is None:
                return False
            for slot in range(CALLS_KEPT):
                self.slots.pop((hook_id, slot), None)
            return True

    def record(self, hook: AuthHook, call: HookCall) -> None:
        if self.failing:
            raise Unavailable("the store is down")
        with self.lock:
            self.slots[(hook.hook_id, call_slot())] = call

    def calls(self, hook: AuthHook) -> list[HookCall]:
        with self.lock:
            mine = [c for (hook_id, _), c in self.slots.items() if hook_id == hook.hook_id]
        return sorted(mine, key=lambda call: call.at, reverse=True)[:CALLS_KEPT]


class FakeHookClient:
    """Answers each hook call with ``answer`` (a JSON document with ``status``; bytes, that
    body; an exception, raised); keeps each request and its timeout."""

    def __init__(self, answer: object = None, status: int = 200) -> None:
        self.answer: object = {} if answer is None else answer
        self.status = status
        self.asked: list[tuple[str, bytes, dict[str, str], str | None, float | None]] = []

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
        self.asked.append((url, body or b"", dict(headers), address, timeout))
        if isinstance(self.answer, Exception):
            raise self.answer
        data = self.answer if isinstance(self.answer, bytes) else json.dumps(self.answer).encode()
        if len(data) > limit:
            raise DocumentTooLarge(str(limit))
        return Answer(self.status, "", (("Content-Type", "application/json"),), data)
