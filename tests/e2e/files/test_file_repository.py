"""The FileRepository port, on the fake and Firestore: its records, and a guest's files (their
records and their bytes, each under the new owner's key) given to the account it is merged into
(MovableData, docs/guests.md; moved here from tests/contract/test_dataset_repository.py and
tests/contract/test_movable_data.py)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest

from application.files import FileRepository, OwnedFiles
from domain.files import StoredFile, file_object_key
from domain.ids import new_id
from tests.fakes.storage import FakeFileStore
from tests.unit.files.fakes import FakeFileRepository

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
GUEST, OWNER = "guest-1", "owner-1"
BATCH = 2  # smaller than what each test moves: the batches are exercised


@pytest.fixture(params=["fake", "firestore"])
def files(request: pytest.FixtureRequest) -> FileRepository:
    if request.param == "fake":
        return FakeFileRepository()
    from infrastructure.firestore.files.repository import FirestoreFileRepository

    client: Any = request.getfixturevalue("firestore")
    return FirestoreFileRepository(client)


def make_file(owner: str = "owner-1") -> StoredFile:
    return StoredFile(new_id(), owner, "a b.pdf", "application/pdf", 10, "cd" * 32, NOW)


def test_file_records(files: FileRepository) -> None:
    first, second, other = make_file("me"), make_file("me"), make_file("them")
    for stored in (first, second, other):
        files.add(stored)
    assert files.get(first.id) == first
    assert files.get("missing") is None
    assert sorted(f.id for f in files.owned_by("me", 10)) == sorted([first.id, second.id])
    assert len(files.owned_by("me", 1)) == 1
    files.delete(first.id)
    files.delete(first.id)
    assert files.get(first.id) is None
    assert files.owned_by("me", 10) == [second]


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
