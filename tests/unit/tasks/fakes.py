"""The tasks unit's fakes: its repository in memory, which the contract suite holds to the
Firestore adapter's behaviour (tests/e2e/tasks/test_task_repository.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from application.tasks import TaskRepository
from domain.tasks import Task
from infrastructure.settings import Settings
from tests.fakes.kernel import after_position


class FakeTaskRepository:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tasks: dict[str, Task] = {}

    def add(self, task: Task) -> None:
        with self.lock:
            self.tasks[task.id] = task

    def get(self, task_id: str) -> Task | None:
        return self.tasks.get(task_id)

    def update(self, task_id: str, change: Callable[[Task], Task]) -> Task | None:
        with self.lock:
            task = self.tasks.get(task_id)
            if task is None:
                return None
            self.tasks[task_id] = after = change(task)
            return after

    def delete(self, task_id: str, check: Callable[[Task], None]) -> bool:
        with self.lock:
            task = self.tasks.get(task_id)
            if task is None:
                return False
            check(task)
            del self.tasks[task_id]
            return True

    def list_page(
        self, owner_id: str, done: bool | None, after: tuple[datetime, str] | None, limit: int
    ) -> list[Task]:
        with self.lock:
            rows = sorted(
                (
                    t
                    for t in self.tasks.values()
                    if t.owner_id == owner_id and (done is None or t.done == done)
                ),
                key=lambda t: (t.created_at, t.id),
            )
        return [t for t in rows if after_position(t.created_at, t.id, after)][:limit]

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        with self.lock:
            for task_id in [i for i, t in self.tasks.items() if t.owner_id == user_id]:
                del self.tasks[task_id]

    def move_owned(self, from_id: str, to_id: str, batch_size: int) -> None:
        with self.lock:
            for task in [t for t in self.tasks.values() if t.owner_id == from_id]:
                self.tasks[task.id] = replace(task, owner_id=to_id)


def adapters(_settings: Settings) -> TaskRepository:
    """The unit's adapters on fakes (tests/support/app.py makes every unit's)."""
    return FakeTaskRepository()
