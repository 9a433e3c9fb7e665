"""A person's files go with their account (records and objects deleted with it) and to the
account a guest is merged into, each object under the new owner's key: what the unit lends
the accounts' slots (the object check was tests/unit/accounts/test_guest_merges.py's)."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.accounts.accounts import OWNED_DATA
from application.accounts.guest.merges import MOVABLE_DATA
from application.files import OwnedFiles
from bootstrap import Adapters
from bootstrap.accounts import AccountsAdapters
from bootstrap.files import UNIT
from domain.files import file_object_key
from domain.slots import filled
from tests.fakes.kernel import FakeJobQueue
from tests.fakes.storage import FakeFileStore
from tests.support.api import bearer, login, register
from tests.support.app import run_jobs, unit_adapters
from tests.support.guest_merges import make_guest, offered_merge_token
from tests.unit.files.fakes import FakeFileRepository

pytestmark = pytest.mark.unit

FILE_BYTES = b"\x00guest's picture\xff" * 100


def test_the_unit_lends_its_files_on_the_platforms_store_as_owned_and_movable_data() -> None:
    files, store = FakeFileRepository(), FakeFileStore()
    kernel: Any = SimpleNamespace(platform=SimpleNamespace(file_store=store))
    lent = UNIT.lends(files, kernel)
    lent_as: list[object] = [*filled([lent], OWNED_DATA), *filled([lent], MOVABLE_DATA)]
    assert lent_as == [OwnedFiles(files, store)] * 2


def test_an_accounts_deletion_deletes_its_files_and_no_one_elses(
    client: FlaskClient, adapters: Adapters
) -> None:
    register(client, "ann")
    register(client, "bob")
    ann, bob = bearer(login(client, "ann")), bearer(login(client, "bob"))
    for auth in (ann, bob):
        made = client.post("/files", headers=auth, data={"file": (io.BytesIO(b"x"), "x.txt")})
        assert made.status_code == 201
    assert client.delete("/user", headers=ann).status_code == 204
    files = unit_adapters(adapters, "files")
    assert isinstance(files, FakeFileRepository)
    store = adapters.platform.file_store
    assert isinstance(store, FakeFileStore)
    [kept] = files.files.values()
    assert list(store.objects) == [kept.object_key]
    bob_id = client.get("/user", headers=bob).get_json()["id"]
    assert kept.owner_id == bob_id


def test_a_merged_guests_files_go_to_the_owner_under_the_owners_key(
    fake_app: Flask, client: FlaskClient, adapters: Adapters, job_queue: FakeJobQueue
) -> None:
    guest_id, guest = make_guest(client, adapters.of(AccountsAdapters).users, "guest1")
    part = (io.BytesIO(FILE_BYTES), "picture.bin")
    stored = client.post("/files", headers=guest, data={"file": part})
    assert stored.status_code == 201, stored.get_json()
    file_id: str = stored.get_json()["id"]
    owner_id: str = register(client, "owner1")["id"]
    owner = bearer(login(client, "owner1"))
    job_queue.jobs.clear()  # the sign-ups' mails
    token = offered_merge_token(fake_app, guest_id, owner_id)
    merge = client.post("/auth/guest/merge", json={"merge_token": token}, headers=owner)
    assert merge.status_code == 202, merge.get_json()
    run_jobs(fake_app, job_queue)
    files = unit_adapters(adapters, "files")
    assert isinstance(files, FakeFileRepository)
    assert files.files[file_id].owner_id == owner_id
    store = adapters.platform.file_store
    assert isinstance(store, FakeFileStore)
    assert store.objects[file_object_key(owner_id, file_id)][0] == FILE_BYTES
    assert file_object_key(guest_id, file_id) not in store.objects
    download = client.get(f"/files/{file_id}", headers=owner)
    assert download.status_code == 200 and download.get_data() == FILE_BYTES
