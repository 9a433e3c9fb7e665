"""Tasks: a user's own to-do items (docs/reference/tasks.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from domain.errors import InvalidInput
from domain.text import check_text

TITLE_MAX = 200
DESCRIPTION_MAX = 5_000
EDITABLE = frozenset({"title", "description", "done", "due_date"})


def check_title(title: str) -> str:
    if not 1 <= len(title) <= TITLE_MAX or not title.strip():
        raise InvalidInput.field(
            "title", f"A title is 1 to {TITLE_MAX} characters, not all blank.", "invalid_title"
        )
    check_text("title", title)
    return title


def check_description(description: str | None) -> str | None:
    if description is not None and len(description) > DESCRIPTION_MAX:
        raise InvalidInput.field(
            "description", f"At most {DESCRIPTION_MAX} characters.", "invalid_description"
        )
    check_text("description", description, multiline=True)
    return description


def check_due_date(due_date: datetime | None) -> datetime | None:
    if due_date is None:
        return None
    if due_date.tzinfo is None or due_date.utcoffset() is None:
        raise InvalidInput.field(
            "due_date", "A due date needs a time zone (RFC 3339).", "invalid_due_date"
        )
    return due_date.astimezone(UTC)


@dataclass(frozen=True)
class Task:
    id: str
    owner_id: str
    title: str
    description: str | None
    done: bool
    due_date: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def create(
        cls,
        *,
        id: str,
        owner_id: str,
        title: str,
        now: datetime,
        description: str | None = None,
        done: bool = False,
        due_date: datetime | None = None,
    ) -> Task:
        return cls(
            id=id,
            owner_id=owner_id,
            title=check_title(title),
            description=check_description(description),
            done=done,
            due_date=check_due_date(due_date),
            created_at=now,
            updated_at=now,
        )

    def owned_by(self, user_id: str) -> bool:
        return self.owner_id == user_id

    def edited(self, changes: Mapping[str, object], now: datetime) -> Task:
        """The task with ``changes`` (a subset of title, description, done, due_date)."""
        unknown = set(changes) - EDITABLE
        if unknown:
            raise InvalidInput.field(sorted(unknown)[0], "Not an editable field.", "unknown_field")
        task = self
        if "title" in changes:
            title = changes["title"]
            if not isinstance(title, str):
                raise InvalidInput.field("title", "A title is required.", "null_not_allowed")
            task = replace(task, title=check_title(title))
        if "description" in changes:
            description = changes["description"]
            if description is not None and not isinstance(description, str):
                raise InvalidInput.field("description", "Must be a string.", "string_type")
            task = replace(task, description=check_description(description))
        if "done" in changes:
            done = changes["done"]
            if not isinstance(done, bool):
                raise InvalidInput.field("done", "Must be true or false.", "null_not_allowed")
            task = replace(task, done=done)
        if "due_date" in changes:
            due = changes["due_date"]
            if due is not None and not isinstance(due, datetime):
                raise InvalidInput.field("due_date", "Must be a date-time.", "invalid_due_date")
            task = replace(task, due_date=check_due_date(due))
        return replace(task, updated_at=now)
