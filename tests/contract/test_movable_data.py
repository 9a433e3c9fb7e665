"""The MovableData port of each capability that keeps data per user (datasets, files; the
units', tasks' and dogs', with their unit's tests), run against the fakes and against
Firestore: a guest's data given to the account it is merged into, in batches, all of it,
once, and nobody else's (docs/guests.md)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest

from application.resources.datasets import DatasetRepository, OwnedDatasets
from application.resources.files import FileRepository, OwnedFiles
from domain.ids import new_id
from domain.resources.datasets import Dataset, DatasetStatus
from domain.resources.files import StoredFile, file_object_key
from tests.fakes.resources import (
    FakeDatasetRepository,
    FakeFileRepository,
    FakeFileStore,
)

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
GUEST, OWNER, OTHER = "guest-1", "owner-1", "other-1"
BATCH = 2  # smaller than what each test moves: the batches are exercised


def _firestore(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue("firestore")


@pytest.fixture(params=["fake", "firestore"])
def datasets(request: pytest.FixtureRequest) -> DatasetRepository:
    if request.param == "fake":
        return FakeDatasetRepository()
    from infrastructure.firestore.resources.datasets import FirestoreDatasetRepository

    return FirestoreDatasetRepository(_firestore(request))


@pytest.fixture(params=["fake", "firestore"])
def files(request: pytest.FixtureRequest) -> FileRepository:
    if request.param == "fake":
        return FakeFileRepository()
    from infrastructure.firestore.resources.files import FirestoreFileRepository

    return FirestoreFileRepository(_firestore(request))


def test_datasets_move_their_records(datasets: DatasetRepository) -> None:
    store = FakeFileStore()
    mine = [
        Dataset(
            id=new_id(),
            name=f"d{i}",
            filename="d.csv",
            owner_id=GUEST,
            created_at=NOW,
            status=DatasetStatus.READY,
            size=1,
            sha256="ab" * 32,
            delimiter=",",
        )
        for i in range(3)
    ]
    for dataset in mine:
        datasets.add(dataset)
    OwnedDatasets(datasets, store).move_owned(GUEST, OWNER, BATCH)
    OwnedDatasets(datasets, store).move_owned(GUEST, OWNER, BATCH)
    assert datasets.ids_owned_by(GUEST, 10) == []
    assert sorted(datasets.ids_owned_by(OWNER, 10)) == sorted(d.id for d in mine)


def test_files_move_their_bytes_and_records(files: FileRepository) -> None:
    store = FakeFileStore()
    mine = []
    for i in range(3):
        body = f"bytes {i}".encode()
        stored = StoredFile(new_id(), GUEST, f"f{i}.txt", "text/plain", len(body), "0" * 64, NOW)
        store.save(stored.object_key, io.BytesIO(body), size=len(body), content_type="text/plain")
        files.add(stored)
        mine.append((stored, body))
    owned = OwnedFiles(files, store)
    owned.move_owned(GUEST, OWNER, BATCH)
    owned.move_owned(GUEST, OWNER, BATCH)
    assert files.owned_by(GUEST, 10) == []
    for stored, body in mine:
        found = files.get(stored.id)
        assert found is not None and found.owner_id == OWNER
        assert store.objects[file_object_key(OWNER, stored.id)] == (body, "text/plain")
        assert file_object_key(GUEST, stored.id) not in store.objects
    files.change_owner("missing", OWNER)  # a record gone meanwhile: nothing to move


def test_a_file_move_cut_short_after_its_copy_is_finished_by_the_retry(
    files: FileRepository,
) -> None:
    store = FakeFileStore()
    stored = StoredFile(new_id(), GUEST, "f.txt", "text/plain", 2, "0" * 64, NOW)
    store.save(stored.object_key, io.BytesIO(b"hi"), size=2, content_type="text/plain")
    files.add(stored)
    # The first run copied the bytes, then died before the record moved.
    store.save(
        file_object_key(OWNER, stored.id), io.BytesIO(b"hi"), size=2, content_type="text/plain"
    )
    OwnedFiles(files, store).move_owned(GUEST, OWNER, BATCH)
    found = files.get(stored.id)
    assert found is not None and found.owner_id == OWNER
    assert set(store.objects) == {file_object_key(OWNER, stored.id)}
