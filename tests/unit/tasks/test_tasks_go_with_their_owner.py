"""A person's tasks go with their account (deleted with it, a guest's by the guests' sweep)
and to the account a guest is merged into: what the unit lends the accounts' slots."""

from __future__ import annotations

from typing import Any

import pytest

from application.accounts.accounts import OWNED_DATA
from application.accounts.guest.merges import MOVABLE_DATA
from bootstrap.tasks import UNIT
from domain.slots import filled
from tests.support.api import bearer, login, register
from tests.support.app import World, unit_adapters
from tests.unit.tasks.fakes import FakeTaskRepository

pytestmark = pytest.mark.unit


def test_the_unit_lends_its_tasks_as_owned_and_movable_data() -> None:
    tasks = FakeTaskRepository()
    kernel: Any = object()  # the tasks unit lends its repository whatever it is built on
    lent = UNIT.lends(tasks, kernel)
    assert filled([lent], OWNED_DATA) == (tasks,) and filled([lent], MOVABLE_DATA) == (tasks,)


def test_an_accounts_deletion_deletes_its_tasks_and_no_one_elses() -> None:
    world = World()
    register(world.client, "ann")
    register(world.client, "bob")
    ann, bob = bearer(login(world.client, "ann")), bearer(login(world.client, "bob"))
    for auth in (ann, bob):
        made = world.client.post("/tasks", json={"title": "mine"}, headers=auth)
        assert made.status_code == 201
    assert world.client.delete("/user", headers=ann).status_code == 204
    tasks = unit_adapters(world.adapters, "tasks")
    assert isinstance(tasks, FakeTaskRepository)
    assert [task.title for task in tasks.tasks.values()] == ["mine"]
    assert len(world.client.get("/tasks", headers=bob).get_json()["items"]) == 1
