"""The TaskRepository port, run against the fake and against Firestore."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import pytest

from application.tasks import TaskRepository
from domain.errors import NotFound
from domain.ids import new_id
from domain.tasks import Task
from tests.unit.tasks.fakes import FakeTaskRepository

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture(params=["fake", "firestore"])
def tasks(request: pytest.FixtureRequest) -> TaskRepository:
    if request.param == "fake":
        return FakeTaskRepository()
    from infrastructure.firestore.tasks.repository import FirestoreTaskRepository

    client: Any = request.getfixturevalue("firestore")
    return FirestoreTaskRepository(client)


def make(owner: str = "u1", *, at: datetime = NOW, task_id: str | None = None, **kw: Any) -> Task:
    return Task.create(id=task_id or new_id(), owner_id=owner, title="t", now=at, **kw)


def refused(task: Task) -> NoReturn:
    raise NotFound("no", code="task_not_found")


def test_round_trip(tasks: TaskRepository) -> None:
    task = make(description="d", done=True, due_date=NOW + timedelta(days=1))
    tasks.add(task)
    assert tasks.get(task.id) == task
    assert tasks.get("missing") is None


def test_update_applies_a_change_or_nothing(tasks: TaskRepository) -> None:
    task = make()
    tasks.add(task)
    later = NOW + timedelta(minutes=1)
    changed = tasks.update(task.id, lambda t: t.edited({"done": True}, later))
    assert changed is not None and changed.done and changed.updated_at == later
    assert tasks.get(task.id) == changed
    with pytest.raises(NotFound):
        tasks.update(task.id, refused)
    assert tasks.get(task.id) == changed
    assert tasks.update("missing", lambda t: t) is None


def test_delete_only_what_the_check_allows(tasks: TaskRepository) -> None:
    task = make()
    tasks.add(task)
    with pytest.raises(NotFound):
        tasks.delete(task.id, refused)
    assert tasks.get(task.id) == task
    assert tasks.delete(task.id, lambda t: None) is True
    assert tasks.get(task.id) is None
    assert tasks.delete(task.id, lambda t: None) is False


def test_pages_by_creation_time_then_id(tasks: TaskRepository) -> None:
    same = [make(task_id=f"same{i}") for i in (3, 1, 2)]  # one instant: ordered by id
    later = [make(at=NOW + timedelta(seconds=i), done=i % 2 == 0) for i in (2, 1)]
    other = make("u2")
    for task in [*same, *later, other]:
        tasks.add(task)
    everything = tasks.list_page("u1", None, None, 10)
    assert [t.id for t in everything] == ["same1", "same2", "same3", later[1].id, later[0].id]
    first = tasks.list_page("u1", None, None, 2)
    rest = tasks.list_page("u1", None, (first[-1].created_at, first[-1].id), 10)
    assert first + rest == everything
    assert [t.id for t in tasks.list_page("u1", True, None, 10)] == [later[0].id]
    assert [t.id for t in tasks.list_page("u1", False, None, 10)] == [
        "same1",
        "same2",
        "same3",
        later[1].id,
    ]
    assert tasks.list_page("u3", None, None, 10) == []


def test_delete_owned_by_takes_every_batch_and_only_the_owners(tasks: TaskRepository) -> None:
    for i in range(7):
        tasks.add(make("gone", at=NOW + timedelta(seconds=i)))
    kept = make("kept")
    tasks.add(kept)
    tasks.delete_owned_by("gone", batch_size=3)
    assert tasks.list_page("gone", None, None, 100) == []
    assert tasks.list_page("kept", None, None, 100) == [kept]
    tasks.delete_owned_by("gone", batch_size=3)  # idempotent


GUEST, OWNER, OTHER = "guest-1", "owner-1", "other-1"
BATCH = 2  # smaller than what the test moves: the batches are exercised


def test_tasks_move_all_once_and_no_one_elses(tasks: TaskRepository) -> None:
    mine = [Task.create(id=new_id(), owner_id=GUEST, title=f"t{i}", now=NOW) for i in range(5)]
    theirs = Task.create(id=new_id(), owner_id=OTHER, title="x", now=NOW)
    for task in [*mine, theirs]:
        tasks.add(task)
    tasks.move_owned(GUEST, OWNER, BATCH)
    tasks.move_owned(GUEST, OWNER, BATCH)  # a retry moves nothing twice
    assert tasks.list_page(GUEST, None, None, 10) == []
    moved = tasks.list_page(OWNER, None, None, 10)
    assert sorted(t.id for t in moved) == sorted(t.id for t in mine)
    assert all(t.title == f"t{i}" for i, t in enumerate(sorted(moved, key=lambda t: t.title)))
    assert tasks.get(theirs.id) == theirs
