"""The TaskRepository port, run against the fake and against Firestore."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import pytest

from application.resources.tasks import TaskRepository
from domain.errors import NotFound
from domain.ids import new_id
from domain.resources.tasks import Task
from tests.fakes.resources import FakeTaskRepository

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture(params=["fake", "firestore"])
def tasks(request: pytest.FixtureRequest) -> TaskRepository:
    if request.param == "fake":
        return FakeTaskRepository()
    from infrastructure.firestore.resources.tasks import FirestoreTaskRepository

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
