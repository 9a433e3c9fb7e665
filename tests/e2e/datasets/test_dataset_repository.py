"""The DatasetRepository port, on the fake and Firestore: its records and rows, and a guest's
datasets given to the account it is merged into (MovableData, docs/guests.md; moved here from
tests/contract/test_dataset_repository.py and tests/contract/test_movable_data.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from application.datasets.use_cases import DatasetRepository, OwnedDatasets
from domain.datasets import (
    Column,
    ColumnType,
    Dataset,
    DatasetRow,
    DatasetStatus,
    Finding,
    Report,
    Rule,
)
from domain.errors import NotFound
from domain.ids import new_id
from tests.fakes.storage import FakeFileStore
from tests.unit.datasets.fakes import FakeDatasetRepository

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
GUEST, OWNER = "guest-1", "owner-1"
BATCH = 2  # smaller than what each test moves: the batches are exercised


@pytest.fixture(params=["fake", "firestore"])
def datasets(request: pytest.FixtureRequest) -> DatasetRepository:
    if request.param == "fake":
        return FakeDatasetRepository()
    from infrastructure.firestore.datasets.repository import FirestoreDatasetRepository

    client: Any = request.getfixturevalue("firestore")
    return FirestoreDatasetRepository(client)


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
