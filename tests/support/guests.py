"""Guests for the merge's tests: an account made a guest, and what it owns, over the API."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from flask.testing import FlaskClient

from application.accounts.accounts import UserRepository
from domain.accounts.guest_refusals import AccountExists
from domain.ids import new_id
from domain.resources.datasets import Column, ColumnType, Dataset, DatasetStatus, Report
from tests.support.api import bearer, login, register

FILE_BYTES = b"\x00guest's picture\xff" * 100


class DatasetAdder(Protocol):
    def add(self, dataset: Dataset) -> None: ...


@dataclass(frozen=True)
class Owned:
    """What a guest made: a task, a dog, a file and a dataset, by id."""

    task: str
    dog: str
    file: str
    dataset: str


def make_guest(client: FlaskClient, users: UserRepository, name: str) -> tuple[str, dict[str, str]]:
    """An account turned a guest (its id and bearer header): registered, then flagged as the
    guest sign-up does, with a password the test signs in with."""
    user_id: str = register(client, name)["id"]
    users.update(user_id, lambda user: replace(user, guest=True))
    return user_id, bearer(login(client, name))


def make_owned(
    client: FlaskClient, auth: dict[str, str], datasets: DatasetAdder, owner_id: str, dog: str
) -> Owned:
    task = client.post("/tasks", json={"title": "the guest's task"}, headers=auth)
    assert task.status_code == 201, task.get_json()
    made = client.post(f"/dogs/{dog}", headers=auth)
    assert made.status_code in (200, 201, 202), made.get_json()
    part: Any = (io.BytesIO(FILE_BYTES), "picture.bin")
    stored = client.post("/files", headers=auth, data={"file": part})
    assert stored.status_code == 201, stored.get_json()
    dataset = Dataset(
        id=new_id(),
        name="Guest's data",
        filename="data.csv",
        owner_id=owner_id,
        created_at=datetime.now(UTC),
        status=DatasetStatus.READY,
        size=3,
        sha256="ab" * 32,
        delimiter=",",
        columns=(Column("n", ColumnType.STRING),),
        report=Report((), {}, False),
    )
    datasets.add(dataset)
    return Owned(task.get_json()["id"], made.get_json()["id"], stored.get_json()["id"], dataset.id)


def account_exists(guest_id: str, owner_id: str) -> AccountExists:
    return AccountExists(guest_id=guest_id, owner_id=owner_id)
