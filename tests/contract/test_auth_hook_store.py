"""One suite for the auth hooks' store, run against the fake and against Firestore."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.hooks.ports import AuthHookStore
from domain.hooks.auth_hooks import CALLS_KEPT, AuthHook, CallOutcome, HookCall, HookKind, OnFailure
from domain.ids import new_id
from tests.fakes.hooks import FakeAuthHooks

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["fake", "firestore"])
def store(request: pytest.FixtureRequest) -> AuthHookStore:
    if request.param == "fake":
        return FakeAuthHooks()
    from infrastructure.firestore.hooks.auth_hooks import FirestoreAuthHooks

    client: Any = request.getfixturevalue("firestore")
    return FirestoreAuthHooks(client)


def hook(kind: HookKind = HookKind.BEFORE_SIGN_UP, **fields: Any) -> AuthHook:
    values: dict[str, Any] = {
        "hook_id": new_id(),
        "kind": kind,
        "url": "https://hooks.example.com/sign-up",
        "timeout_ms": 1500,
        "on_failure": OnFailure.DENY,
        "secret": "sealed",
        "created_at": NOW,
    }
    return AuthHook(**(values | fields))


def call(of: AuthHook, seconds: int, **fields: Any) -> HookCall:
    values: dict[str, Any] = {
        "hook_id": of.hook_id,
        "at": NOW + timedelta(seconds=seconds),
        "duration_ms": 12,
        "outcome": CallOutcome.OK,
        "status": 200,
    }
    return HookCall(**(values | fields))


def test_one_hook_per_kind_a_second_replaces_the_first(store: AuthHookStore) -> None:
    first, token = hook(), hook(HookKind.BEFORE_TOKEN, on_failure=OnFailure.ALLOW)
    store.put(first)
    store.put(token)
    second = hook(url="https://hooks.example.com/other")
    store.put(second)

    assert store.get(HookKind.BEFORE_SIGN_UP) == second
    assert store.list_all() == [second, token]
    assert store.get(HookKind.SEND_MAIL) is None


def test_delete_by_id_removes_only_that_hook(store: AuthHookStore) -> None:
    kept, gone = hook(HookKind.SEND_MAIL), hook()
    store.put(kept)
    store.put(gone)

    assert store.delete(gone.hook_id) is True
    assert store.delete(gone.hook_id) is False
    assert store.delete(new_id()) is False
    assert store.list_all() == [kept]


def test_calls_newest_first_of_this_hook_only(store: AuthHookStore) -> None:
    old, new = hook(), hook()
    store.put(old)
    store.record(old, call(old, 0))
    store.put(new)
    failed = call(new, 2, outcome=CallOutcome.TIMEOUT, status=None, error="deadline_exceeded")
    store.record(new, call(new, 1))
    store.record(new, failed)

    calls = store.calls(new)
    assert calls[0] == failed
    assert all(c.hook_id == new.hook_id for c in calls)
    assert [c.at for c in calls] == sorted((c.at for c in calls), reverse=True)


def test_calls_kept_are_bounded(store: AuthHookStore) -> None:
    kept = hook()
    store.put(kept)
    for second in range(CALLS_KEPT + 20):
        store.record(kept, call(kept, second))

    calls = store.calls(kept)
    assert 0 < len(calls) <= CALLS_KEPT
    assert calls[0].at == NOW + timedelta(seconds=CALLS_KEPT + 19)  # the latest is always kept


def test_a_deleted_hooks_calls_go_with_it(store: AuthHookStore) -> None:
    gone = hook()
    store.put(gone)
    store.record(gone, call(gone, 0))
    store.delete(gone.hook_id)
    again = hook(hook_id=gone.hook_id)  # only to read the slots of the kind again
    store.put(again)

    assert store.calls(again) == []
