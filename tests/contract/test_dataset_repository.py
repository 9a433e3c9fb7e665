"""One suite for the DatasetRepository and FileRepository ports, on the fakes and Firestore."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from application.resources.datasets import DatasetRepository
from application.resources.files import FileRepository
from domain.errors import NotFound
from domain.ids import new_id
from domain.resources.datasets import (
    Column,
    ColumnType,
    Dataset,
    DatasetRow,
    DatasetStatus,
    Finding,
    Report,
    Rule,
)
from domain.resources.files import StoredFile
from tests.fakes.resources import FakeDatasetRepository, FakeFileRepository

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["fake", "firestore"])
def datasets(request: pytest.FixtureRequest) -> DatasetRepository:
    if request.param == "fake":
        return FakeDatasetRepository()
    from infrastructure.firestore.resources.datasets import FirestoreDatasetRepository

    client: Any = request.getfixturevalue("firestore")
    return FirestoreDatasetRepository(client)


@pytest.fixture(params=["fake", "firestore"])
def files(request: pytest.FixtureRequest) -> FileRepository:
    if request.param == "fake":
        return FakeFileRepository()
    from infrastructure.firestore.resources.files import FirestoreFileRepository

    client: Any = request.getfixturevalue("firestore")
    return FirestoreFileRepository(client)


def make_dataset(owner: str = "owner-1", **changes: Any) -> Dataset:
    dataset = Dataset(
        id=new_id(),
        name="People",
        filename="people.csv",
        owner_id=owner,
        created_at=NOW,
        status=DatasetStatus.IMPORTING,
        size=123,
        sha256="ab" * 32,
        delimiter=";",
        columns=(Column("id", ColumnType.INTEGER, True, True), Column("n", ColumnType.STRING)),
    )
    return replace(dataset, **changes)


def rows(count: int, start: int = 1) -> list[DatasetRow]:
    return [
        DatasetRow(
            n,
            (str(n), f'név {n} "quoted", with\nnewline', *(["extra"] if n % 7 == 0 else [])),
            (Finding(n, "id", Rule.TYPE, "bad"),) if n % 5 == 0 else (),
        )
        for n in range(start, start + count)
    ]


def test_record_round_trip(datasets: DatasetRepository) -> None:
    dataset = make_dataset()
    datasets.add(dataset)
    assert datasets.get(dataset.id) == dataset
    assert datasets.get("missing") is None
    report = Report(
        (Finding(None, "x", Rule.MISSING_COLUMN, "gone"), Finding(3, None, Rule.EMPTY, "e")),
        {"missing_column": 1, "empty": 1},
        truncated=True,
    )
    done = dataset.imported(7, dataset.columns, report)
    datasets.save(done)
    assert datasets.get(dataset.id) == done


def test_rows_in_order_page_by_page(datasets: DatasetRepository) -> None:
    dataset = make_dataset()
    datasets.add(dataset)
    given = rows(450)  # over two chunks of the Firestore adapter
    assert datasets.add_rows(dataset.id, iter(given)) == 450
    assert datasets.rows_page(dataset.id, 0, 3) == given[:3]
    assert datasets.rows_page(dataset.id, 195, 10) == given[195:205]  # across a chunk edge
    assert datasets.rows_page(dataset.id, 440, 100) == given[440:]
    assert datasets.rows_page(dataset.id, 450, 10) == []
    assert datasets.rows_page(dataset.id, 0, 450) == given
    other = make_dataset()
    datasets.add(other)
    assert datasets.rows_page(other.id, 0, 10) == []


def test_listing_and_ownership(datasets: DatasetRepository) -> None:
    mine = sorted((make_dataset("me") for _ in range(3)), key=lambda d: d.id)
    theirs = make_dataset("them")
    for dataset in [*mine, theirs]:
        datasets.add(dataset)
    assert datasets.list_page("me", None, 10) == mine
    assert datasets.list_page("me", mine[0].id, 10) == mine[1:]
    assert datasets.list_page("me", None, 2) == mine[:2]
    assert datasets.list_page(None, None, 10) == sorted([*mine, theirs], key=lambda d: d.id)
    assert sorted(datasets.ids_owned_by("me", 10)) == [d.id for d in mine]
    assert len(datasets.ids_owned_by("me", 2)) == 2


def test_delete_removes_rows_and_record(datasets: DatasetRepository) -> None:
    dataset = make_dataset()
    datasets.add(dataset)
    datasets.add_rows(dataset.id, rows(250))
    datasets.delete(dataset.id, batch_size=2)
    assert datasets.get(dataset.id) is None
    assert datasets.rows_page(dataset.id, 0, 10) == []
    datasets.delete(dataset.id, batch_size=2)  # idempotent
    with pytest.raises(NotFound):
        datasets.save(dataset)


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
