"""Tasks: a user's own to-do items; anybody else's do not exist. The template the other
resources follow (docs/contributing.md): the repository port, the frozen commands, and one
object, ``Tasks``, whose methods are the use cases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.pagination import (
    Page,
    decode_cursor,
    paginate,
    parse_time_position,
    time_position,
)
from application.ports import Clock
from application.signin.authentication import Actor
from domain.errors import NotFound
from domain.ids import is_id, new_id
from domain.tasks import Task


class TaskRepository(Protocol):
    def add(self, task: Task) -> None:
        """Store a new task."""
        ...

    def get(self, task_id: str) -> Task | None:
        """The task with this id, whoever owns it; None if absent."""
        ...

    def update(self, task_id: str, change: Callable[[Task], Task]) -> Task | None:
        """Apply a pure ``change`` atomically (it may raise to refuse); None if absent."""
        ...

    def delete(self, task_id: str, check: Callable[[Task], None]) -> bool:
        """Delete the task if ``check`` (which may raise) lets it; False if absent."""
        ...

    def list_page(
        self, owner_id: str, done: bool | None, after: tuple[datetime, str] | None, limit: int
    ) -> list[Task]:
        """Up to ``limit`` of the owner's tasks by (created_at, id), after that position."""
        ...

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        """Delete every task of the user, in bounded batches (OwnedData)."""
        ...

    def move_owned(self, from_id: str, to_id: str, batch_size: int) -> None:
        """Give ``to_id`` every task of ``from_id``, in bounded batches (MovableData)."""
        ...


@dataclass(frozen=True)
class NewTask:
    owner_id: str
    title: str
    description: str | None = None
    done: bool = False
    due_date: datetime | None = None


@dataclass(frozen=True)
class EditTask:
    """PUT gives every editable field, PATCH only those to change."""

    owner_id: str
    task_id: str
    changes: tuple[tuple[str, object], ...]  # the entity checks each value


@dataclass(frozen=True)
class GetTask:
    actor: Actor
    task_id: str


@dataclass(frozen=True)
class DeleteTask:
    actor: Actor
    task_id: str


@dataclass(frozen=True)
class TaskQuery:
    owner_id: str
    limit: int
    cursor: str | None = None
    done: bool | None = None


def _not_found() -> NotFound:
    return NotFound("No such task.", code="task_not_found")


def _owned(owner_id: str) -> Callable[[Task], None]:
    def check(task: Task) -> None:
        if not task.owned_by(owner_id):
            raise _not_found()  # another user's task is indistinguishable from none

    return check


@dataclass(frozen=True, kw_only=True, slots=True)
class Tasks:
    """The task use cases over the task repository: a user sees and changes only their own
    tasks, anybody else's answer 404 as a missing one does."""

    tasks: TaskRepository
    clock: Clock

    def create(self, cmd: NewTask) -> Task:
        task = Task.create(
            id=new_id(),
            owner_id=cmd.owner_id,
            title=cmd.title,
            description=cmd.description,
            done=cmd.done,
            due_date=cmd.due_date,
            now=self.clock.now(),
        )
        self.tasks.add(task)
        return task

    def list(self, query: TaskQuery) -> Page[Task]:
        """The owner's tasks, oldest first by (created_at, id).

        A position in that order never moves, so a walk through the pages sees every task
        that existed when it started exactly once; tasks added meanwhile come after it (at the
        end).
        """
        position = decode_cursor(query.cursor)
        after = parse_time_position(position) if position is not None else None
        rows = self.tasks.list_page(query.owner_id, query.done, after, query.limit + 1)
        last = rows[query.limit - 1] if len(rows) > query.limit else None
        return paginate(
            rows, query.limit, time_position(last.created_at, last.id) if last else None
        )

    def get(self, cmd: GetTask) -> Task:
        task = self.tasks.get(cmd.task_id) if is_id(cmd.task_id) else None
        if task is None or not task.owned_by(cmd.actor.user_id):
            raise _not_found()
        return task

    def edit(self, cmd: EditTask) -> Task:
        if not is_id(cmd.task_id):
            raise _not_found()
        check = _owned(cmd.owner_id)
        changes = dict(cmd.changes)
        now = self.clock.now()

        def change(task: Task) -> Task:
            check(task)  # inside the atomic update: the owner never changes, but be exact
            return task.edited(changes, now)

        updated = self.tasks.update(cmd.task_id, change)
        if updated is None:
            raise _not_found()
        return updated

    def delete(self, cmd: DeleteTask) -> None:
        owned = _owned(cmd.actor.user_id)
        if not is_id(cmd.task_id) or not self.tasks.delete(cmd.task_id, owned):
            raise _not_found()
