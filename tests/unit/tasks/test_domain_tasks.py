"""A task's rules: its due date's zone, what an edit keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.errors import InvalidInput
from domain.tasks import Task

pytestmark = pytest.mark.unit
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_due_dates_need_a_zone_and_are_kept_in_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    task = Task.create(
        id="t", owner_id="u", title="t", now=NOW, due_date=datetime(2026, 5, 1, 14, tzinfo=plus_two)
    )
    assert task.due_date == datetime(2026, 5, 1, 12, tzinfo=UTC)
    assert task.due_date is not None and task.due_date.tzinfo is UTC
    with pytest.raises(InvalidInput):
        Task.create(id="t", owner_id="u", title="t", now=NOW, due_date=datetime(2026, 5, 1))


def test_edits_keep_identity_and_creation_time() -> None:
    task = Task.create(id="t", owner_id="u", title="t", now=NOW)
    later = NOW + timedelta(hours=1)
    edited = task.edited({"title": "new", "done": True, "description": None}, later)
    assert (edited.id, edited.owner_id, edited.created_at) == ("t", "u", NOW)
    assert (edited.title, edited.done, edited.updated_at) == ("new", True, later)
    for bad in ({"owner_id": "x"}, {"title": None}, {"done": None}, {"title": " "}):
        with pytest.raises(InvalidInput):
            task.edited(bad, later)
