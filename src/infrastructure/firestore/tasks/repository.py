"""Tasks in ``tasks/{id}``, with the owner's id as a field (queried per owner)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.tasks import Task
from infrastructure.firestore.client import BOUNDED, delete_in_batches, reassign_in_batches
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.reads import Stale
from infrastructure.firestore.sdk import exceptions, firestore

TASKS = "tasks"


def task_to_doc(task: Task) -> dict[str, Any]:
    return {
        "owner_id": task.owner_id,
        "title": task.title,
        "description": task.description,
        "done": task.done,
        "due_date": task.due_date,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
    }


def task_from_doc(task_id: str, data: dict[str, Any]) -> Task:
    return Task(
        id=task_id,
        owner_id=data["owner_id"],
        title=data["title"],
        description=data.get("description"),
        done=data.get("done", False),
        due_date=data.get("due_date"),
        created_at=data["created_at"],
        updated_at=data["updated_at"],
    )


@translates_errors
class FirestoreTaskRepository:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._tasks = client.collection(TASKS)

    def add(self, task: Task) -> None:
        # A fresh random id: AlreadyExists only means a retried create had succeeded.
        with contextlib.suppress(exceptions.AlreadyExists):
            self._tasks.document(task.id).create(task_to_doc(task), **BOUNDED)

    def get(self, task_id: str) -> Task | None:
        snap = self._tasks.document(task_id).get(**BOUNDED)
        return task_from_doc(snap.id, snap.to_dict() or {}) if snap.exists else None

    def update(self, task_id: str, change: Callable[[Task], Task]) -> Task | None:
        # Compare-and-set on the update time (docs/contributing.md): no lock; a lost race
        # reads again.
        ref = self._tasks.document(task_id)

        def attempt() -> Task | None:
            snap = ref.get(**BOUNDED)
            if not snap.exists:
                return None
            before = task_from_doc(task_id, snap.to_dict() or {})
            after = change(before)
            if after == before:
                return after
            try:
                ref.update(task_to_doc(after), option=unchanged_since(snap), **BOUNDED)
            except exceptions.NotFound:
                raise Stale from None  # deleted meanwhile: the next read says so
            return after

        return until_unchanged(attempt)

    def delete(self, task_id: str, check: Callable[[Task], None]) -> bool:
        ref = self._tasks.document(task_id)

        def attempt() -> bool:
            snap = ref.get(**BOUNDED)
            if not snap.exists:
                return False
            check(task_from_doc(task_id, snap.to_dict() or {}))
            try:
                ref.delete(option=unchanged_since(snap), **BOUNDED)
            except exceptions.NotFound:
                raise Stale from None
            return True

        return until_unchanged(attempt)

    def list_page(
        self, owner_id: str, done: bool | None, after: tuple[datetime, str] | None, limit: int
    ) -> list[Task]:
        # Composite indexes (firestore.indexes.json): owner_id [+ done] + created_at.
        query = self._tasks.where(filter=firestore.FieldFilter("owner_id", "==", owner_id))
        if done is not None:
            query = query.where(filter=firestore.FieldFilter("done", "==", done))
        query = query.order_by("created_at").order_by("__name__")
        if after is not None:
            at, task_id = after
            query = query.start_after({"created_at": at, "__name__": self._tasks.document(task_id)})
        snaps = query.limit(limit).stream(**BOUNDED)
        return [task_from_doc(snap.id, snap.to_dict() or {}) for snap in snaps]

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        query = self._tasks.where(filter=firestore.FieldFilter("owner_id", "==", user_id))
        delete_in_batches(self._client, query, batch_size)

    def move_owned(self, from_id: str, to_id: str, batch_size: int) -> None:
        query = self._tasks.where(filter=firestore.FieldFilter("owner_id", "==", from_id))
        reassign_in_batches(self._client, query, "owner_id", to_id, batch_size)
