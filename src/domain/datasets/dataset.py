"""The dataset entity: an imported CSV file's record, its columns and its report."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from domain.datasets.findings import Report
from domain.datasets.schema import Column


class DatasetStatus(StrEnum):
    IMPORTING = "importing"  # rows being written; a crash leaves it so, for DELETE to clear
    READY = "ready"


@dataclass(frozen=True)
class Dataset:
    id: str
    name: str
    filename: str
    owner_id: str
    created_at: datetime
    status: DatasetStatus
    size: int
    sha256: str
    delimiter: str
    row_count: int = 0
    columns: tuple[Column, ...] = ()
    report: Report = field(default_factory=lambda: Report((), {}))

    @property
    def object_key(self) -> str:
        return dataset_object_key(self.id)

    def visible_to(self, user_id: str, is_admin: bool) -> bool:
        return is_admin or self.owner_id == user_id

    def imported(self, row_count: int, columns: tuple[Column, ...], report: Report) -> Dataset:
        return replace(
            self,
            status=DatasetStatus.READY,
            row_count=row_count,
            columns=columns,
            report=report,
        )


def dataset_object_key(dataset_id: str) -> str:
    return f"datasets/{dataset_id}/source.csv"
