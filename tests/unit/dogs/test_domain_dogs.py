"""Dog rules: names, pictures, who may change a dog."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.dogs import Dog, DogName, PictureStatus
from domain.errors import InvalidInput

pytestmark = pytest.mark.unit
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


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
