"""The MovableData port of each capability that keeps data per user (dogs; the units' with
their own tests: tasks, datasets, files), run against the fakes and against Firestore: a guest's
data given to the account it is merged into, in batches, all of it, once, and nobody else's
(docs/guests.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from application.resources.dogs import DogRepository
from domain.errors import Conflict
from domain.ids import new_id
from domain.resources.dogs import Dog, DogName
from tests.fakes.resources import FakeDogRepository

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
GUEST, OWNER, OTHER = "guest-1", "owner-1", "other-1"
BATCH = 2  # smaller than what each test moves: the batches are exercised


def _firestore(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue("firestore")


@pytest.fixture(params=["fake", "firestore"])
def dogs(request: pytest.FixtureRequest) -> DogRepository:
    if request.param == "fake":
        return FakeDogRepository()
    from infrastructure.firestore.resources.dogs import FirestoreDogRepository

    return FirestoreDogRepository(_firestore(request))


def test_dogs_move_with_their_names_which_stay_taken(dogs: DogRepository) -> None:
    mine = [
        Dog.create(id=new_id(), name=DogName(f"Rex{i}"), owner_id=GUEST, is_adopted=False, now=NOW)
        for i in range(3)
    ]
    for dog in mine:
        dogs.add(dog)
    dogs.move_owned(GUEST, OWNER, BATCH)
    dogs.move_owned(GUEST, OWNER, BATCH)
    for dog in mine:
        found = dogs.get(dog.id)
        assert found is not None and found.owner_id == OWNER and found.name == dog.name
        named = dogs.find_by_name(dog.name.key)
        assert named is not None and named.id == dog.id
    clash = Dog.create(id=new_id(), name=DogName("REX0"), owner_id=OWNER, is_adopted=False, now=NOW)
    with pytest.raises(Conflict):
        dogs.add(clash)
