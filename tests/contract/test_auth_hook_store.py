"""One suite for the auth hooks' store, run against the fake and against Firestore."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier
from typing import Any

import pytest

from application.hooks.ports import AuthHookStore
from domain.errors import Conflict, DomainError
from domain.hooks.auth_hooks import (
    CALLS_KEPT,
    MAX_HOOKS_PER_KIND,
    AuthHook,
    CallOutcome,
    HookCall,
    OnFailure,
)
from domain.ids import new_id
from tests.fakes.hooks import FakeAuthHooks
from tests.support.hook_kinds import BEFORE_SIGN_IN, BEFORE_SIGN_UP, BEFORE_TOKEN, SEND_MAIL

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
RACERS = 30


@pytest.fixture(params=["fake", "firestore"])
def store(request: pytest.FixtureRequest) -> AuthHookStore:
    if request.param == "fake":
        return FakeAuthHooks()
    from infrastructure.firestore.hooks.auth_hooks import FirestoreAuthHooks

    client: Any = request.getfixturevalue("firestore")
    return FirestoreAuthHooks(client)


def hook(kind: str = BEFORE_SIGN_UP.name, **fields: Any) -> AuthHook:
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


def test_hooks_of_a_kind_are_kept_side_by_side_listed_in_their_order(
    store: AuthHookStore,
) -> None:
    first, token = hook(), hook(BEFORE_TOKEN.name, on_failure=OnFailure.ALLOW)
    store.add(first)
    store.add(token)
    later = hook(url="https://hooks.example.com/other", created_at=NOW + timedelta(seconds=1))
    early = hook(order=-3, clients=("app",), orgs=("o1", "o2"))
    store.add(later)
    store.add(early)

    assert store.list_all() == [early, first, later, token]


def test_a_kind_holds_at_most_ten_hooks(store: AuthHookStore) -> None:
    kept = [hook(order=n) for n in range(MAX_HOOKS_PER_KIND)]
    for each in kept:
        store.add(each)
    with pytest.raises(Conflict) as refused:
        store.add(hook())
    assert refused.value.code == "too_many_hooks"
    store.add(hook(SEND_MAIL.name))  # another kind has room
    assert store.delete(kept[0].hook_id)
    store.add(hook())
    assert len([h for h in store.list_all() if h.kind == BEFORE_SIGN_UP.name]) == 10


def test_delete_by_id_removes_only_that_hook(store: AuthHookStore) -> None:
    kept, gone = hook(SEND_MAIL.name), hook()
    store.add(kept)
    store.add(gone)

    assert store.delete(gone.hook_id) is True
    assert store.delete(gone.hook_id) is False
    assert store.delete(new_id()) is False
    assert store.list_all() == [kept]


def test_calls_newest_first_of_this_hook_only(store: AuthHookStore) -> None:
    old, new = hook(), hook()
    store.add(old)
    store.record(old, call(old, 0))
    store.add(new)
    failed = call(new, 2, outcome=CallOutcome.TIMEOUT, status=None, error="deadline_exceeded")
    store.record(new, call(new, 1))
    store.record(new, failed)

    calls = store.calls(new)
    assert calls[0] == failed
    assert all(c.hook_id == new.hook_id for c in calls)
    assert [c.at for c in calls] == sorted((c.at for c in calls), reverse=True)


def test_calls_kept_are_bounded(store: AuthHookStore) -> None:
    kept = hook()
    store.add(kept)
    for second in range(CALLS_KEPT + 20):
        store.record(kept, call(kept, second))

    calls = store.calls(kept)
    assert 0 < len(calls) <= CALLS_KEPT
    assert calls[0].at == NOW + timedelta(seconds=CALLS_KEPT + 19)  # the latest is always kept


def test_a_deleted_hooks_calls_go_with_it(store: AuthHookStore) -> None:
    gone = hook()
    store.add(gone)
    store.record(gone, call(gone, 0))
    store.delete(gone.hook_id)
    again = hook(hook_id=gone.hook_id)  # only to read the slots of that id again
    store.add(again)

    assert store.calls(again) == []


def test_thirty_adds_at_once_keep_a_kind_to_ten(store: AuthHookStore) -> None:
    """Thirty admins add a hook of one kind at the same moment: ten are kept, twenty get
    ``too_many_hooks``, and the kind's list is exactly the ten added."""
    store.add(hook(BEFORE_SIGN_IN.name))  # another kind's, untouched
    adds = [hook(order=n) for n in range(RACERS)]
    barrier = Barrier(RACERS)

    def add(each: AuthHook) -> AuthHook | DomainError:
        barrier.wait()
        try:
            store.add(each)
        except DomainError as exc:
            return exc
        return each

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(add, adds))
    added = [o for o in outcomes if isinstance(o, AuthHook)]
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(added) == MAX_HOOKS_PER_KIND
    assert {error.code for error in refused} == {"too_many_hooks"}
    kept = [h for h in store.list_all() if h.kind == BEFORE_SIGN_UP.name]
    assert sorted(h.hook_id for h in kept) == sorted(h.hook_id for h in added)
    with pytest.raises(Conflict):  # the kind's list says ten, as it holds
        store.add(hook())
