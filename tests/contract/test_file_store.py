"""One suite for the FileStore port: the fake and Cloud Storage (gcp-storage-emulator)."""

from __future__ import annotations

import io
import os
from typing import Any

import pytest

from application.ports import FileStore
from domain.errors import NotFound
from tests.fakes.storage import FakeFileStore

pytestmark = pytest.mark.contract


@pytest.fixture(params=["fake", "gcs"])
def store(request: pytest.FixtureRequest) -> FileStore:
    if request.param == "fake":
        return FakeFileStore()
    from infrastructure.gcs_storage import GcsFileStore

    emulators: Any = request.getfixturevalue("clean_emulators")
    return GcsFileStore(emulators.storage_bucket, project=emulators.project)


def save(store: FileStore, key: str, data: bytes, content_type: str = "text/csv") -> None:
    store.save(key, io.BytesIO(data), size=len(data), content_type=content_type)


@pytest.mark.parametrize("size", [0, 5, 1024 * 1024 + 1, 5 * 1024 * 1024 + 3])
def test_bytes_come_back_as_stored(store: FileStore, size: int) -> None:
    data = os.urandom(size)
    save(store, "datasets/x/source.csv", data)
    chunks = list(store.open("datasets/x/source.csv"))
    assert b"".join(chunks) == data
    assert all(len(chunk) <= 1024 * 1024 for chunk in chunks)


def test_missing_objects(store: FileStore) -> None:
    with pytest.raises(NotFound):
        store.open("files/nobody/nothing")
    store.delete("files/nobody/nothing")  # idempotent


def test_delete_and_delete_prefix(store: FileStore) -> None:
    for key in ("files/u1/a", "files/u1/b", "files/u12/c", "files/u2/d"):
        save(store, key, key.encode(), "application/octet-stream")
    store.delete("files/u2/d")
    with pytest.raises(NotFound):
        store.open("files/u2/d")
    assert store.delete_prefix("files/u1/") == 2
    assert store.delete_prefix("files/u1/") == 0
    assert b"".join(store.open("files/u12/c")) == b"files/u12/c"
