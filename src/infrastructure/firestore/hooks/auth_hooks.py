"""Auth hooks in ``auth_hooks/{kind}`` (one per kind: a new one replaces the kind's), their
calls in ``auth_hooks/{kind}/calls/{slot}``, ``CALLS_KEPT`` slots each call overwrites one of
(docs/decisions/0486-auth-hooks.md)."""

from __future__ import annotations

from typing import Any

from domain.hooks.auth_hooks import (
    CALLS_KEPT,
    AuthHook,
    CallOutcome,
    HookCall,
    HookKind,
    OnFailure,
    call_slot,
)
from infrastructure.firestore.client import BOUNDED, read_document
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.optimistic import unchanged_since
from infrastructure.firestore.sdk import exceptions, firestore

AUTH_HOOKS = "auth_hooks"
CALLS = "calls"


def hook_to_doc(hook: AuthHook) -> dict[str, Any]:
    return {
        "hook_id": hook.hook_id,
        "url": hook.url,
        "timeout_ms": hook.timeout_ms,
        "on_failure": hook.on_failure.value,
        "secret": hook.secret,
        "created_at": hook.created_at,
    }


def hook_from_doc(kind: str, data: dict[str, Any]) -> AuthHook:
    return AuthHook(
        hook_id=data["hook_id"],
        kind=HookKind(kind),
        url=data["url"],
        timeout_ms=data["timeout_ms"],
        on_failure=OnFailure(data["on_failure"]),
        secret=data["secret"],
        created_at=data["created_at"],
    )


def call_to_doc(call: HookCall) -> dict[str, Any]:
    return {
        "hook_id": call.hook_id,
        "at": call.at,
        "duration_ms": call.duration_ms,
        "outcome": call.outcome.value,
        "status": call.status,
        "error": call.error,
    }


def call_from_doc(data: dict[str, Any]) -> HookCall:
    return HookCall(
        hook_id=data["hook_id"],
        at=data["at"],
        duration_ms=data["duration_ms"],
        outcome=CallOutcome(data["outcome"]),
        status=data.get("status"),
        error=data.get("error"),
    )


@translates_errors
class FirestoreAuthHooks:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._hooks = client.collection(AUTH_HOOKS)

    def put(self, hook: AuthHook) -> None:
        self._hooks.document(hook.kind.value).set(hook_to_doc(hook), **BOUNDED)

    def get(self, kind: HookKind) -> AuthHook | None:
        data = read_document(self._client, self._hooks.document(kind.value))
        return hook_from_doc(kind.value, data) if data is not None else None

    def list_all(self) -> list[AuthHook]:
        snaps = self._hooks.stream(**BOUNDED)
        found = {snap.id: hook_from_doc(snap.id, snap.to_dict() or {}) for snap in snaps}
        return [found[kind.value] for kind in HookKind if kind.value in found]

    def delete(self, hook_id: str) -> bool:
        for snap in self._hooks.where(
            filter=firestore.FieldFilter("hook_id", "==", hook_id)
        ).stream(**BOUNDED):
            batch = self._client.batch()
            # Only if it was not replaced meanwhile: a new hook of the kind stays.
            batch.delete(snap.reference, option=unchanged_since(snap))
            calls = snap.reference.collection(CALLS)
            for slot in range(CALLS_KEPT):
                batch.delete(calls.document(f"{slot:02d}"))
            try:
                batch.commit(**BOUNDED)
            except exceptions.FailedPrecondition:
                return False
            return True
        return False

    def record(self, hook: AuthHook, call: HookCall) -> None:
        ref = self._hooks.document(hook.kind.value).collection(CALLS).document(f"{call_slot():02d}")
        ref.set(call_to_doc(call), **BOUNDED)

    def calls(self, hook: AuthHook) -> list[HookCall]:
        snaps = self._hooks.document(hook.kind.value).collection(CALLS).stream(**BOUNDED)
        kept = [call_from_doc(snap.to_dict() or {}) for snap in snaps]
        mine = [call for call in kept if call.hook_id == hook.hook_id]
        return sorted(mine, key=lambda call: call.at, reverse=True)[:CALLS_KEPT]
