"""Fakes of the auth hooks' ports: their store and the client that calls one."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping

from application.outbound import Answer, DocumentTooLarge
from domain.errors import Unavailable
from domain.hooks.auth_hooks import CALLS_KEPT, AuthHook, HookCall, HookKind, call_slot


class FakeAuthHooks:
    """The auth hooks' store: one hook per kind, its calls in ``CALLS_KEPT`` slots as
    Firestore keeps them. ``failing``: record raises, as a store that is down would."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.hooks: dict[HookKind, AuthHook] = {}
        self.slots: dict[tuple[HookKind, int], HookCall] = {}
        self.failing = False
        self.reads = 0  # list_all calls: the callers' cache keeps them few

    def put(self, hook: AuthHook) -> None:
        with self.lock:
            self.hooks[hook.kind] = hook

    def get(self, kind: HookKind) -> AuthHook | None:
        return self.hooks.get(kind)

    def list_all(self) -> list[AuthHook]:
        with self.lock:
            self.reads += 1
            return [self.hooks[kind] for kind in HookKind if kind in self.hooks]

    def delete(self, hook_id: str) -> bool:
        with self.lock:
            for kind, hook in list(self.hooks.items()):
                if hook.hook_id == hook_id:
                    del self.hooks[kind]
                    for slot in range(CALLS_KEPT):
                        self.slots.pop((kind, slot), None)
                    return True
            return False

    def record(self, hook: AuthHook, call: HookCall) -> None:
        if self.failing:
            raise Unavailable("the store is down")
        with self.lock:
            self.slots[(hook.kind, call_slot())] = call

    def calls(self, hook: AuthHook) -> list[HookCall]:
        with self.lock:
            mine = [c for (kind, _), c in self.slots.items() if kind is hook.kind]
        mine = [c for c in mine if c.hook_id == hook.hook_id]
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
