"""Task and dog rules, and the (time, id) positions their pages are cut at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from application.pagination import parse_time_position, time_position
from domain.errors import InvalidInput
from domain.resources.dogs import Dog, DogName, PictureStatus
from domain.resources.tasks import Task

pytestmark = pytest.mark.unit
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_positions_round_trip_to_the_microsecond() -> None:
    for at in (NOW, NOW + timedelta(microseconds=1), datetime(1969, 12, 31, 23, 59, tzinfo=UTC)):
        assert parse_time_position(time_position(at, "abc_-1")) == (at, "abc_-1")


@pytest.mark.parametrize(
    "position", ["", "x.abc", "1.", "1.a/b", "١٢.abc", "9" * 25 + ".abc", "9" * 19 + ".a"]
)
def test_positions_we_did_not_make_are_invalid(position: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_time_position(position)
    assert info.value.code == "invalid_cursor"


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


@pytest.mark.parametrize(
    ("name", "key"),
    [("Rex", "rex"), ("ＲＥＸ", "rex"), ("Mr. Big", "mr. big"), ("O'Malley", "o'malley")],
)
def test_dog_names_fold_for_uniqueness(name: str, key: str) -> None:
    assert DogName(name).key == key


@pytest.mark.parametrize("name", ["", " rex", "rex.", ".", "..", "a/b", "x" * 65, "is_Adopted"])
def test_bad_dog_names(name: str) -> None:
    with pytest.raises(InvalidInput) as info:
        DogName(name)
    assert info.value.code == "invalid_dog_name"


def test_a_picture_is_set_once_and_only_while_pending() -> None:
    dog = Dog.create(id="d", name=DogName("Rex"), owner_id="u", is_adopted=False, now=NOW)
    ready = dog.with_picture("https://images.dog.ceo/1.jpg", NOW)
    assert ready.picture_status is PictureStatus.READY
    assert ready.with_picture("https://images.dog.ceo/2.jpg", NOW) == ready
    assert ready.picture_failed(NOW) == ready
    assert dog.picture_failed(NOW).with_picture("https://x", NOW).picture is None
    assert dog.may_be_changed_by("u", is_admin=False)
    assert not dog.may_be_changed_by("v", is_admin=False)
    assert dog.may_be_changed_by("v", is_admin=True)
