"""Fakes of the resources' ports: dogs and their pictures, datasets, files and the
file store."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from typing import BinaryIO

from application.dogs import PictureUnavailable
from domain.errors import Conflict, NotFound
from domain.resources.datasets import Dataset, DatasetRow
from domain.dogs import Dog
from domain.resources.files import StoredFile
from tests.fakes.kernel import after_position


class FakeDogRepository:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.dogs: dict[str, Dog] = {}
        self.names: dict[str, str] = {}  # name key -> dog id, like the claim documents

    def _taken(self) -> Conflict:
        return Conflict("A dog with this name exists already.", code="dog_name_taken", field="name")

    def add(self, dog: Dog) -> None:
        with self.lock:
            if dog.name.key in self.names:
                raise self._taken()
            self.dogs[dog.id] = dog
            self.names[dog.name.key] = dog.id

    def get(self, dog_id: str) -> Dog | None:
        return self.dogs.get(dog_id)

    def find_by_name(self, key: str) -> Dog | None:
        return self.dogs.get(self.names.get(key, ""))

    def update(self, dog_id: str, change: Callable[[Dog], Dog]) -> Dog | None:
        with self.lock:
            before = self.dogs.get(dog_id)
            if before is None:
                return None
            after = change(before)
            if after.name.key != before.name.key:
                if after.name.key in self.names:
                    raise self._taken()
                del self.names[before.name.key]
                self.names[after.name.key] = dog_id
            self.dogs[dog_id] = after
            return after

    def delete(self, dog_id: str, check: Callable[[Dog], None]) -> bool:
        with self.lock:
            dog = self.dogs.get(dog_id)
            if dog is None:
                return False
            check(dog)
            del self.dogs[dog_id]
            del self.names[dog.name.key]
            return True

    def list_page(
        self, adopted: bool | None, after: tuple[datetime, str] | None, limit: int
    ) -> list[Dog]:
        with self.lock:
            rows = sorted(
                (d for d in self.dogs.values() if adopted is None or d.is_adopted == adopted),
                key=lambda d: (d.created_at, d.id),
            )
        return [d for d in rows if after_position(d.created_at, d.id, after)][:limit]

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        with self.lock:
            for dog in [d for d in self.dogs.values() if d.owner_id == user_id]:
                del self.dogs[dog.id]
                del self.names[dog.name.key]

    def move_owned(self, from_id: str, to_id: str, batch_size: int) -> None:
        with self.lock:  # the name claims name the dog, not its owner: they stay
            for dog in [d for d in self.dogs.values() if d.owner_id == from_id]:
                self.dogs[dog.id] = replace(dog, owner_id=to_id)


class FakePictureSource:
    """Answers ``url``, or fails with PictureUnavailable while ``failing`` is set."""

    def __init__(self, url: str = "https://images.dog.ceo/breeds/hound/1.jpg") -> None:
        self.url = url
        self.failing = False
        self.calls = 0

    def random_picture(self) -> str:
        self.calls += 1
        if self.failing:
            raise PictureUnavailable("the fake picture source is failing")
        return self.url


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
