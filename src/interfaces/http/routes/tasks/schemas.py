from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from domain.tasks import DESCRIPTION_MAX, TITLE_MAX, Task
from interfaces.http.schemas.common import (
    PageOut,
    PageQuery,
    Schema,
    Strict,
    multi_line,
    no_null,
    not_null,
    single_line,
    single_line_not_null,
)

_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})", re.ASCII
)


def rfc3339(value: object) -> datetime | None:
    """An RFC 3339 date-time with a time zone (``2026-05-01T12:00:00Z``), or null."""
    if value is None:
        return None
    if isinstance(value, str) and _RFC3339.fullmatch(value):
        try:
            return datetime.fromisoformat(value.upper())
        except ValueError:
            pass  # e.g. a 30th of February
    raise PydanticCustomError(
        "invalid_datetime",
        "Must be an RFC 3339 date-time with a time zone, e.g. 2026-05-01T12:00:00Z.",
    )


DateTime = Annotated[
    datetime | None,
    BeforeValidator(rfc3339),
    WithJsonSchema({"type": ["string", "null"], "format": "date-time"}),
]
Title = Field(
    min_length=1, max_length=TITLE_MAX, examples=["Buy dog food"], json_schema_extra=single_line
)
Description = Field(default=None, max_length=DESCRIPTION_MAX, json_schema_extra=multi_line)


class TaskCreate(Strict):
    title: str = Title
    description: str | None = Description
    done: bool = False
    due_date: DateTime = Field(default=None, examples=["2026-05-01T12:00:00Z"])


class TaskReplace(TaskCreate):
    """PUT: the whole task; an omitted field gets its default (null, false)."""


class TaskPatch(Strict):
    """PATCH: only the fields given change; null clears description and due_date."""

    title: str | None = Field(
        default=None,
        min_length=1,
        max_length=TITLE_MAX,
        json_schema_extra=single_line_not_null,
    )
    description: str | None = Description
    done: bool | None = Field(default=None, json_schema_extra=not_null)
    due_date: DateTime = None

    _not_null = field_validator("title", "done", mode="before")(no_null)


class TaskOut(Schema):
    id: str
    title: str
    description: str | None
    done: bool
    due_date: datetime | None
    owner_id: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, task: Task) -> TaskOut:
        return cls.model_validate(task, from_attributes=True)


class TaskPage(PageOut[TaskOut]):
    pass


class TaskListQuery(PageQuery):
    done: Literal["true", "false"] | None = Field(default=None, description="Filter by done")
