"""Fakes of the resources' ports: datasets, files and the file store."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import BinaryIO

from domain.errors import Conflict, NotFound
from domain.resources.datasets import Dataset, DatasetRow
from domain.resources.files import StoredFile


class FakeFileStore:
    """Objects in a dict; ``open`` answers chunks, like the Cloud Storage adapter."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.objects: dict[str, tuple[bytes, str]] = {}  # key -> (bytes, content type)

    def save(self, key: str, data: BinaryIO, *, size: int, content_type: str) -> None:
        data.seek(0)
        body = data.read(size)
        with self.lock:
            self.objects[key] = (body, content_type)

    def open(self, key: str) -> Iterator[bytes]:
        found = self.objects.get(key)
        if found is None:
            raise NotFound("No such object.", code="object_not_found")
        body = found[0]
        return iter([body[i : i + 65_536] for i in range(0, len(body), 65_536)])

    def delete(self, key: str) -> None:
        with self.lock:
            self.objects.pop(key, None)

    def delete_prefix(self, prefix: str) -> int:
        with self.lock:
            keys = [key for key in self.objects if key.startswith(prefix)]
            for key in keys:
                del self.objects[key]
        return len(keys)


class FakeDatasetRepository:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.datasets: dict[str, Dataset] = {}
        self.rows: dict[str, list[DatasetRow]] = {}

    def add(self, dataset: Dataset) -> None:
        with self.lock:
            if dataset.id in self.datasets:
                raise Conflict("dataset exists")
            self.datasets[dataset.id] = dataset

    def get(self, dataset_id: str) -> Dataset | None:
        return self.datasets.get(dataset_id)

    def save(self, dataset: Dataset) -> None:
        with self.lock:
            if dataset.id not in self.datasets:
                raise NotFound("The dataset was deleted.", code="dataset_not_found")
            self.datasets[dataset.id] = dataset

    def list_page(self, owner_id: str | None, after: str | None, limit: int) -> list[Dataset]:
        found = sorted(
            (d for d in self.datasets.values() if owner_id is None or d.owner_id == owner_id),
            key=lambda d: d.id,
        )
        return [d for d in found if after is None or d.id > after][:limit]

    def add_rows(self, dataset_id: str, rows: Iterable[DatasetRow]) -> int:
        count = 0
        for row in rows:
            with self.lock:
                self.rows.setdefault(dataset_id, []).append(row)
            count += 1
        return count

    def rows_page(self, dataset_id: str, after: int, limit: int) -> list[DatasetRow]:
        return [r for r in self.rows.get(dataset_id, []) if r.number > after][:limit]

    def delete(self, dataset_id: str, batch_size: int) -> None:
        with self.lock:
            self.rows.pop(dataset_id, None)
            self.datasets.pop(dataset_id, None)

    def ids_owned_by(self, owner_id: str, limit: int) -> list[str]:
        return [d.id for d in self.datasets.values() if d.owner_id == owner_id][:limit]

    def move_owned(self, from_id: str, to_id: str, batch_size: int) -> None:
        with self.lock:
            for dataset in [d for d in self.datasets.values() if d.owner_id == from_id]:
                self.datasets[dataset.id] = replace(dataset, owner_id=to_id)


class FakeFileRepository:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.files: dict[str, StoredFile] = {}

    def add(self, stored: StoredFile) -> None:
        with self.lock:
            if stored.id in self.files:
                raise Conflict("file exists")
            self.files[stored.id] = stored

    def get(self, file_id: str) -> StoredFile | None:
        return self.files.get(file_id)

    def delete(self, file_id: str) -> None:
        with self.lock:
            self.files.pop(file_id, None)

    def owned_by(self, owner_id: str, limit: int) -> list[StoredFile]:
        return [f for f in self.files.values() if f.owner_id == owner_id][:limit]

    def change_owner(self, file_id: str, owner_id: str) -> None:
        with self.lock:
            if (found := self.files.get(file_id)) is not None:
                self.files[file_id] = replace(found, owner_id=owner_id)
