"""The datasets unit's fakes: its repository in memory, which the contract suite holds to the
Firestore adapter's behaviour (tests/e2e/datasets/test_dataset_repository.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import replace

from application.datasets.use_cases import DatasetRepository
from domain.datasets import Dataset, DatasetRow
from domain.errors import Conflict, NotFound
from infrastructure.settings import Settings


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


def adapters(_settings: Settings) -> DatasetRepository:
    """The unit's adapters on fakes (tests/support/app.py makes every unit's)."""
    return FakeDatasetRepository()
