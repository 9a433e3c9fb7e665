"""A person's dogs go with their account (deleted with it, their names free again) and to
the account a guest is merged into, names and all (a merged dog's name stays taken): what
the unit lends the accounts' slots, and its picture job."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from application.accounts.accounts import OWNED_DATA
from application.accounts.guest.merges import MOVABLE_DATA
from application.dogs import FETCH_DOG_PICTURE
from application.jobs import JOBS
from bootstrap.accounts import AccountsAdapters
from bootstrap.dogs import UNIT, DogsAdapters
from domain.slots import filled
from interfaces.shared.problems import domain_problem
from tests.fakes.kernel import FakeClock
from tests.support.api import assert_problem, bearer, login, register
from tests.support.app import World, unit_adapters
from tests.support.guest_merges import account_exists, make_guest
from tests.unit.dogs.fakes import FakeDogRepository, FakePictureSource

pytestmark = pytest.mark.unit


def test_the_unit_lends_its_dogs_as_owned_and_movable_data_and_its_job() -> None:
    dogs = FakeDogRepository()
    kernel: Any = SimpleNamespace(platform=SimpleNamespace(clock=FakeClock()))
    lent = UNIT.lends(DogsAdapters(dogs=dogs, pictures=FakePictureSource()), kernel)
    assert filled([lent], OWNED_DATA) == (dogs,) and filled([lent], MOVABLE_DATA) == (dogs,)
    assert [kind for kind, _handler in filled([lent], JOBS)] == [FETCH_DOG_PICTURE]


def test_an_accounts_deletion_deletes_its_dogs_and_frees_their_names() -> None:
    world = World()
    register(world.client, "ann")
    register(world.client, "bob")
    ann, bob = bearer(login(world.client, "ann")), bearer(login(world.client, "bob"))
    assert world.client.post("/dogs/Rex", headers=ann).status_code == 202
    assert world.client.post("/dogs/Max", headers=bob).status_code == 202
    assert world.client.delete("/user", headers=ann).status_code == 204
    dogs = unit_adapters(world.adapters, "dogs").dogs
    assert isinstance(dogs, FakeDogRepository)
    assert [dog.name.value for dog in dogs.dogs.values()] == ["Max"]
    assert_problem(world.client.get("/dogs/Rex"), 404, "dog_not_found")
    assert world.client.post("/dogs/Rex", headers=bob).status_code == 202  # free again


def test_a_merged_guests_dogs_go_to_the_owner_and_their_names_stay_taken() -> None:
    world = World()
    guest_id, guest = make_guest(world.client, world.adapters.of(AccountsAdapters).users, "guest1")
    assert world.client.post("/dogs/Rex", headers=guest).status_code == 202
    owner_id: str = register(world.client, "owner1")["id"]
    owner = bearer(login(world.client, "owner1"))
    with world.app.test_request_context():
        token = domain_problem(account_exists(guest_id, owner_id)).get_json()["merge_token"]
    merged = world.client.post("/auth/guest/merge", json={"merge_token": token}, headers=owner)
    assert merged.status_code == 202
    world.deliver()
    assert world.client.get("/dogs/Rex").get_json()["id_user"] == owner_id
    # The dog keeps its name: no other dog can take it, the new owner's neither.
    assert_problem(world.client.post("/dogs/Rex", headers=owner), 409, "dog_name_taken")
    register(world.client, "bob")
    other = bearer(login(world.client, "bob"))
    assert_problem(world.client.post("/dogs/rex", headers=other), 409, "dog_name_taken")
    changed = world.client.put("/dogs/Rex", json={"is_adopted": True}, headers=owner)
    assert changed.status_code == 200  # the owner's now
