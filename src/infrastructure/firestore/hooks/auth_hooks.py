"""Auth hooks in ``auth_hooks/{hook_id}``, their calls in ``auth_hooks/{hook_id}/calls/{slot}``,
``CALLS_KEPT`` slots each call overwrites one of (docs/decisions/0486-auth-hooks.md); each
kind's hook ids in ``auth_hook_kinds/{kind}``, which every add and delete commits only if it
is unchanged since read, so that no race passes ``MAX_HOOKS_PER_KIND``
(docs/decisions/0578-hooks-scope-and-order.md). A hook stored when a kind had one only sits
at ``auth_hooks/{kind}``, without a ``kind`` field: it is read as its kind's."""

from __future__ import annotations

from typing import Any

from domain.hooks.auth_hooks import (
    CALLS_KEPT,
    MAX_HOOKS_PER_KIND,
    AuthHook,
    CallOutcome,
    HookCall,
    OnFailure,
    call_slot,
    too_many_hooks,
)
from infrastructure.firestore.client import BOUNDED, ONCE
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.reads import Stale
from infrastructure.firestore.sdk import exceptions, firestore

AUTH_HOOKS = "auth_hooks"
KINDS = "auth_hook_kinds"
CALLS = "calls"


def hook_to_doc(hook: AuthHook) -> dict[str, Any]:
    return {
        "hook_id": hook.hook_id,
        "url": hook.url,
        "timeout_ms": hook.timeout_ms,
        "on_failure": hook.on_failure.value,
        "secret": hook.secret,
        "created_at": hook.created_at,
        "kind": hook.kind,
        "order": hook.order,
        "clients": list(hook.clients),
        "orgs": list(hook.orgs),
    }


def hook_from_doc(doc_id: str, data: dict[str, Any]) -> AuthHook:
    return AuthHook(
        hook_id=data["hook_id"],
        kind=str(data.get("kind") or doc_id),  # no kind: one stored at auth_hooks/{kind}
        url=data["url"],
        timeout_ms=data["timeout_ms"],
        on_failure=OnFailure(data["on_failure"]),
        secret=data["secret"],
        created_at=data["created_at"],
        order=int(data.get("order", 0)),
        clients=tuple(data.get("clients") or ()),
        orgs=tuple(data.get("orgs") or ()),
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

    def add(self, hook: AuthHook) -> None:
        index = self._client.collection(KINDS).document(hook.kind)

        def attempt() -> None:
            snap = index.get(**BOUNDED)
            if snap.exists:
                ids = list((snap.to_dict() or {}).get("ids", []))
            else:  # the kind's first, or the one hook of a kind stored before there were more
                ids = [h.hook_id for h in self.list_all() if h.kind == hook.kind]
            if hook.hook_id in ids:  # this add's own commit landed, its answer lost
                return
            if len(ids) >= MAX_HOOKS_PER_KIND:
                raise too_many_hooks()
            batch = self._client.batch()
            if snap.exists:
                batch.update(index, {"ids": [*ids, hook.hook_id]}, option=unchanged_since(snap))
            else:
                batch.create(index, {"ids": [*ids, hook.hook_id]})
            batch.set(self._hooks.document(hook.hook_id), hook_to_doc(hook))
            try:
                batch.commit(**BOUNDED)
            except exceptions.AlreadyExists:  # another add made the kind's index first
                raise Stale() from None

        until_unchanged(attempt)

    def list_all(self) -> list[AuthHook]:
        snaps = self._hooks.stream(**BOUNDED)
        found = [hook_from_doc(snap.id, snap.to_dict() or {}) for snap in snaps]
        return sorted(found, key=lambda hook: (hook.kind, hook.place))

    def delete(self, hook_id: str) -> bool:
        def attempt() -> bool:
            query = self._hooks.where(filter=firestore.FieldFilter("hook_id", "==", hook_id))
            snaps = list(query.stream(**BOUNDED))
            if not snaps:
                return False
            (snap,) = snaps
            kind = hook_from_doc(snap.id, snap.to_dict() or {}).kind
            index = self._client.collection(KINDS).document(kind)
            listed = index.get(**BOUNDED)
            batch = self._client.batch()
            batch.delete(snap.reference, option=unchanged_since(snap))
            if listed.exists:
                ids = [each for each in (listed.to_dict() or {}).get("ids", []) if each != hook_id]
                batch.update(index, {"ids": ids}, option=unchanged_since(listed))
            calls = self._hooks.document(hook_id).collection(CALLS)
            for slot in range(CALLS_KEPT):
                batch.delete(calls.document(f"{slot:02d}"))
            batch.commit(**ONCE)  # a change meanwhile: FailedPrecondition, read again
            return True

        return until_unchanged(attempt)

    def record(self, hook: AuthHook, call: HookCall) -> None:
        ref = self._hooks.document(hook.hook_id).collection(CALLS).document(f"{call_slot():02d}")
        ref.set(call_to_doc(call), **BOUNDED)

    def calls(self, hook: AuthHook) -> list[HookCall]:
        snaps = self._hooks.document(hook.hook_id).collection(CALLS).stream(**BOUNDED)
        kept = [call_from_doc(snap.to_dict() or {}) for snap in snaps]
        mine = [call for call in kept if call.hook_id == hook.hook_id]
        return sorted(mine, key=lambda call: call.at, reverse=True)[:CALLS_KEPT]
