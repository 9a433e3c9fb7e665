"""A person's datasets go with their account (records, rows and originals deleted with it) and
to the account a guest is merged into: what the unit lends the accounts' slots."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.accounts.accounts import OWNED_DATA
from application.accounts.guest.merges import MOVABLE_DATA
from application.datasets.use_cases import OwnedDatasets
from bootstrap import Adapters
from bootstrap.accounts import AccountsAdapters
from bootstrap.datasets import UNIT
from domain.accounts.guest.part import Guest
from domain.slots import filled
from tests.fakes.kernel import FakeJobQueue
from tests.fakes.storage import FakeFileStore
from tests.support.api import bearer, login, register, user_token
from tests.support.app import run_jobs, unit_adapters
from tests.support.dataset_samples import upload
from tests.support.guest_merges import offered_merge_token
from tests.unit.datasets.fakes import FakeDatasetRepository

pytestmark = pytest.mark.unit

CSV = "n,name\n1,Ann\n2,Ben\n"


def test_the_unit_lends_its_datasets_on_the_platforms_store_as_owned_and_movable_data() -> None:
    datasets, store = FakeDatasetRepository(), FakeFileStore()
    kernel: Any = SimpleNamespace(platform=SimpleNamespace(file_store=store))
    lent = UNIT.lends(datasets, kernel)
    lent_as: list[object] = [*filled([lent], OWNED_DATA), *filled([lent], MOVABLE_DATA)]
    assert lent_as == [OwnedDatasets(datasets, store)] * 2


def fakes(adapters: Adapters) -> tuple[FakeDatasetRepository, FakeFileStore]:
    datasets = unit_adapters(adapters, "datasets")
    assert isinstance(datasets, FakeDatasetRepository)
    assert isinstance(adapters.platform.file_store, FakeFileStore)
    return datasets, adapters.platform.file_store


def test_an_accounts_deletion_deletes_its_datasets_and_no_one_elses(
    fake_app: Flask, client: FlaskClient, adapters: Adapters
) -> None:
    ann = user_token(fake_app, client, "ann", "uploader")
    bob = user_token(fake_app, client, "bob", "uploader")
    for auth in (ann, bob):
        assert upload(client, auth, CSV).status_code == 201
    assert client.delete("/user", headers=ann).status_code == 204
    datasets, store = fakes(adapters)
    [kept] = datasets.datasets.values()
    assert list(datasets.rows) == [kept.id]
    assert list(store.objects) == [f"datasets/{kept.id}/source.csv"]
    assert [d["id"] for d in client.get("/datasets", headers=bob).get_json()["items"]] == [kept.id]


def test_a_merged_guests_datasets_go_to_the_owner(
    fake_app: Flask, client: FlaskClient, adapters: Adapters, job_queue: FakeJobQueue
) -> None:
    guest = user_token(fake_app, client, "guest1", "uploader")
    guest_id: str = client.get("/user", headers=guest).get_json()["id"]
    created = upload(client, guest, CSV).get_json()
    adapters.of(AccountsAdapters).users.update(
        guest_id, lambda user: user.with_part(Guest(is_guest=True))
    )
    owner_id: str = register(client, "owner1")["id"]
    owner = bearer(login(client, "owner1"))
    job_queue.jobs.clear()  # the sign-ups' mails
    token = offered_merge_token(fake_app, guest_id, owner_id)
    merge = client.post("/auth/guest/merge", json={"merge_token": token}, headers=owner)
    assert merge.status_code == 202, merge.get_json()
    run_jobs(fake_app, job_queue)
    datasets, store = fakes(adapters)
    assert datasets.datasets[created["id"]].owner_id == owner_id
    assert client.get(f"/datasets/{created['id']}", headers=owner).status_code == 200
    assert list(store.objects) == [f"datasets/{created['id']}/source.csv"]
