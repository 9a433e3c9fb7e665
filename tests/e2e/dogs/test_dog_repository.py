"""The DogRepository port, run against the fake and against Firestore."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import pytest

from application.dogs import DogRepository
from domain.dogs import Dog, DogName, PictureStatus
from domain.errors import Conflict, PermissionDenied
from domain.ids import new_id
from tests.unit.dogs.fakes import FakeDogRepository

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, 0, 654321, tzinfo=UTC)


@pytest.fixture(params=["fake", "firestore"])
def dogs(request: pytest.FixtureRequest) -> DogRepository:
    if request.param == "fake":
        return FakeDogRepository()
    from infrastructure.firestore.dogs.repository import FirestoreDogRepository

    client: Any = request.getfixturevalue("firestore")
    return FirestoreDogRepository(client)


def make(name: str, owner: str = "u1", *, at: datetime = NOW, adopted: bool = False) -> Dog:
    return Dog.create(id=new_id(), name=DogName(name), owner_id=owner, is_adopted=adopted, now=at)


def refused(dog: Dog) -> NoReturn:
    raise PermissionDenied("no", code="not_dog_owner")


def test_round_trip_and_lookup_by_name(dogs: DogRepository) -> None:
    dog = make("Rex")
    dogs.add(dog)
    assert dogs.get(dog.id) == dog
    assert dogs.find_by_name("rex") == dog
    assert dogs.find_by_name("max") is None
    ready = dogs.update(dog.id, lambda d: d.with_picture("https://images.dog.ceo/1.jpg", NOW))
    assert ready is not None and ready.picture_status is PictureStatus.READY
    assert dogs.find_by_name("rex") == ready


def test_a_taken_name_is_a_conflict_and_leaves_nothing(dogs: DogRepository) -> None:
    dogs.add(make("Rex"))
    loser = make("REX")
    with pytest.raises(Conflict) as info:
        dogs.add(loser)
    assert info.value.code == "dog_name_taken"
    assert dogs.get(loser.id) is None
    assert len(dogs.list_page(None, None, 10)) == 1


def test_parallel_creators_of_one_name_one_wins(dogs: DogRepository) -> None:
    contenders = [make("Rex" if i % 2 else "rex") for i in range(10)]

    def add(dog: Dog) -> str:
        try:
            dogs.add(dog)
        except Conflict:
            return "conflict"
        return "created"

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = sorted(pool.map(add, contenders))
    assert outcomes == ["conflict"] * 9 + ["created"]
    assert len(dogs.list_page(None, None, 20)) == 1


def test_rename_moves_the_claim(dogs: DogRepository) -> None:
    rex, max_ = make("Rex"), make("Max")
    dogs.add(rex)
    dogs.add(max_)
    renamed = dogs.update(rex.id, lambda d: d.edited({"name": DogName("Rexy")}, NOW))
    assert renamed is not None and renamed.name.value == "Rexy"
    assert dogs.find_by_name("rex") is None and dogs.find_by_name("rexy") == renamed
    dogs.add(make("Rex"))  # the old name is free
    with pytest.raises(Conflict):
        dogs.update(max_.id, lambda d: d.edited({"name": DogName("REXY")}, NOW))
    assert dogs.get(max_.id) == max_
    recased = dogs.update(max_.id, lambda d: replace(d, name=DogName("MAX")))
    assert recased is not None and dogs.find_by_name("max") == recased


def test_refused_changes_and_deletes_change_nothing(dogs: DogRepository) -> None:
    dog = make("Rex")
    dogs.add(dog)
    with pytest.raises(PermissionDenied):
        dogs.update(dog.id, refused)
    with pytest.raises(PermissionDenied):
        dogs.delete(dog.id, refused)
    assert dogs.get(dog.id) == dog
    assert dogs.update("missing", lambda d: d) is None


def test_delete_frees_the_name(dogs: DogRepository) -> None:
    dog = make("Rex")
    dogs.add(dog)
    assert dogs.delete(dog.id, lambda d: None) is True
    assert dogs.get(dog.id) is None and dogs.find_by_name("rex") is None
    assert dogs.delete(dog.id, lambda d: None) is False
    dogs.add(make("rex"))


def test_pages_and_the_adoption_filter(dogs: DogRepository) -> None:
    made = [make(f"dog{i}", at=NOW + timedelta(seconds=i), adopted=i % 2 == 1) for i in range(5)]
    for dog in reversed(made):
        dogs.add(dog)
    everything = dogs.list_page(None, None, 10)
    assert everything == made
    first = dogs.list_page(None, None, 2)
    assert first + dogs.list_page(None, (first[-1].created_at, first[-1].id), 10) == made
    assert dogs.list_page(True, None, 10) == [made[1], made[3]]
    assert dogs.list_page(False, (made[0].created_at, made[0].id), 10) == [made[2], made[4]]


def test_delete_owned_by_removes_dogs_and_names_in_batches(dogs: DogRepository) -> None:
    for i in range(5):
        dogs.add(make(f"gone{i}", "gone"))
    kept = make("kept", "kept")
    dogs.add(kept)
    dogs.delete_owned_by("gone", batch_size=2)
    assert dogs.list_page(None, None, 10) == [kept]
    dogs.add(make("GONE0"))  # names released
    dogs.delete_owned_by("gone", batch_size=2)  # idempotent


GUEST, OWNER = "guest-1", "owner-1"
BATCH = 2  # smaller than what the test moves: the batches are exercised


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
