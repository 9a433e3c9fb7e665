"""Datasets in ``datasets/{id}``, their rows in chunks ``datasets/{id}/chunks/{seq}``.

A chunk holds up to 200 consecutive rows (at most ~256 KiB): ``first`` and ``last`` row
numbers and ``rows``, one compact JSON string per row, ``{"c": [cells as given], "f":
[[column, rule, message], ...]}``. Chunks rather than a document per row: a 200,000-row
upload is 1,000 document writes instead of 200,000 (cost, and Firestore's advice against
high write rates on sequential keys), a page of rows is one or two reads, and deletion is
1,000 deletes. ``rows`` is one opaque string per row, not maps, so nothing in it is indexed
(firestore.indexes.json exempts the field in production; the emulator indexes every value,
and took ten times longer with maps). Batches of up to 20 chunks (4 MiB) are committed with
up to 4 commits in flight, so an import's memory is bounded whatever its size.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

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
from domain.errors import NotFound, TooLarge
from infrastructure.firestore.client import BOUNDED, reassign_in_batches
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.sdk import exceptions, firestore

DATASETS, CHUNKS = "datasets", "chunks"
CHUNK_ROWS = 200
CHUNK_BYTES = 256 * 1024
ROW_BYTES_MAX = 900 * 1024  # one encoded row must fit a document (1 MiB)
BATCH_CHUNKS = 20
BATCH_BYTES = 4 * 1024 * 1024  # a commit request may not exceed 10 MiB
IN_FLIGHT = 4
READ_CHUNKS = 2  # chunks fetched per round trip when paging


def finding_to_doc(finding: Finding) -> dict[str, Any]:
    return {
        "row": finding.row,
        "column": finding.column,
        "rule": finding.rule.value,
        "message": finding.message,
    }


def finding_from_doc(data: dict[str, Any]) -> Finding:
    return Finding(data.get("row"), data.get("column"), Rule(data["rule"]), data["message"])


def dataset_to_doc(dataset: Dataset) -> dict[str, Any]:
    return {
        "name": dataset.name,
        "filename": dataset.filename,
        "owner_id": dataset.owner_id,
        "created_at": dataset.created_at,
        "status": dataset.status.value,
        "size": dataset.size,
        "sha256": dataset.sha256,
        "delimiter": dataset.delimiter,
        "row_count": dataset.row_count,
        "columns": [
            {
                "name": c.name,
                "type": c.type.value,
                "required": c.required,
                "unique": c.unique,
                "inferred": c.inferred,
            }
            for c in dataset.columns
        ],
        "report": {
            "findings": [finding_to_doc(f) for f in dataset.report.findings],
            "summary": dict(dataset.report.summary),
            "truncated": dataset.report.truncated,
        },
    }


def dataset_from_doc(dataset_id: str, data: dict[str, Any]) -> Dataset:
    report = data.get("report") or {}
    return Dataset(
        id=dataset_id,
        name=data["name"],
        filename=data["filename"],
        owner_id=data["owner_id"],
        created_at=data["created_at"],
        status=DatasetStatus(data["status"]),
        size=data["size"],
        sha256=data["sha256"],
        delimiter=data["delimiter"],
        row_count=data.get("row_count", 0),
        columns=tuple(
            Column(
                c["name"],
                ColumnType(c["type"]),
                c.get("required", False),
                c.get("unique", False),
                c.get("inferred", False),
            )
            for c in data.get("columns", ())
        ),
        report=Report(
            tuple(finding_from_doc(f) for f in report.get("findings", ())),
            dict(report.get("summary", {})),
            report.get("truncated", False),
        ),
    )


def encode_row(row: DatasetRow) -> str:
    data: dict[str, Any] = {"c": list(row.cells)}
    if row.findings:
        data["f"] = [[f.column, f.rule.value, f.message] for f in row.findings]
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if len(text) > ROW_BYTES_MAX // 4 and len(text.encode()) > ROW_BYTES_MAX:
        raise TooLarge(f"Row {row.number} is too large to store.", code="row_too_large")
    return text


def decode_row(number: int, text: str) -> DatasetRow:
    data = json.loads(text)
    findings = tuple(
        Finding(number, column, Rule(rule), message) for column, rule, message in data.get("f", ())
    )
    return DatasetRow(number, tuple(data["c"]), findings)


@translates_errors
class FirestoreDatasetRepository:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._datasets = client.collection(DATASETS)

    def _chunks(self, dataset_id: str) -> Any:
        return self._datasets.document(dataset_id).collection(CHUNKS)

    def add(self, dataset: Dataset) -> None:
        self._datasets.document(dataset.id).create(dataset_to_doc(dataset), **BOUNDED)

    def get(self, dataset_id: str) -> Dataset | None:
        snap = self._datasets.document(dataset_id).get(**BOUNDED)
        return dataset_from_doc(snap.id, snap.to_dict() or {}) if snap.exists else None

    def save(self, dataset: Dataset) -> None:
        try:
            self._datasets.document(dataset.id).update(dataset_to_doc(dataset), **BOUNDED)
        except exceptions.NotFound:
            raise NotFound("The dataset was deleted.", code="dataset_not_found") from None

    def list_page(self, owner_id: str | None, after: str | None, limit: int) -> list[Dataset]:
        query: Any = self._datasets
        if owner_id is not None:
            query = query.where(filter=firestore.FieldFilter("owner_id", "==", owner_id))
        query = query.order_by("__name__")
        if after is not None:
            query = query.start_after({"__name__": self._datasets.document(after)})
        snaps = query.limit(limit).stream(**BOUNDED)
        return [dataset_from_doc(snap.id, snap.to_dict() or {}) for snap in snaps]

    def add_rows(self, dataset_id: str, rows: Iterable[DatasetRow]) -> int:
        chunks = self._chunks(dataset_id)
        count = 0
        with ThreadPoolExecutor(IN_FLIGHT, thread_name_prefix="dataset-rows") as pool:
            pending: list[Future[Any]] = []
            batch, batch_bytes = self._client.batch(), 0
            for seq, (first, encoded, size) in enumerate(_chunked(rows)):
                count = first + len(encoded) - 1
                doc = {"first": first, "last": count, "rows": encoded}
                batch.set(chunks.document(f"{seq:06d}"), doc)
                batch_bytes += size
                if len(batch) >= BATCH_CHUNKS or batch_bytes >= BATCH_BYTES:
                    pending = _submit(pool, pending, batch)
                    batch, batch_bytes = self._client.batch(), 0
            if len(batch):
                pending = _submit(pool, pending, batch)
            for future in pending:
                future.result()
        return count

    def rows_page(self, dataset_id: str, after: int, limit: int) -> list[DatasetRow]:
        found: list[DatasetRow] = []
        position = after
        while len(found) < limit:
            query = (
                self._chunks(dataset_id)
                .where(filter=firestore.FieldFilter("last", ">", position))
                .order_by("last")
                .limit(READ_CHUNKS)
            )
            snaps = list(query.stream(**BOUNDED))
            for snap in snaps:
                data = snap.to_dict() or {}
                first = data["first"]
                for offset, text in enumerate(data["rows"]):
                    number = first + offset
                    if number > position and len(found) < limit:
                        found.append(decode_row(number, text))
                position = data["last"]
            if len(snaps) < READ_CHUNKS:
                break
        return found

    def delete(self, dataset_id: str, batch_size: int) -> None:
        query = self._chunks(dataset_id).limit(batch_size)
        while refs := [snap.reference for snap in query.select([]).stream(**BOUNDED)]:
            batch = self._client.batch()
            for ref in refs:
                batch.delete(ref)
            batch.commit(**BOUNDED)  # deletes are idempotent: retry is safe
        self._datasets.document(dataset_id).delete(**BOUNDED)

    def ids_owned_by(self, owner_id: str, limit: int) -> list[str]:
        query = self._datasets.where(filter=firestore.FieldFilter("owner_id", "==", owner_id))
        return [snap.id for snap in query.limit(limit).select([]).stream(**BOUNDED)]

    def move_owned(self, from_id: str, to_id: str, batch_size: int) -> None:
        # The rows and the source object are the dataset's, by its id: only the record moves.
        query = self._datasets.where(filter=firestore.FieldFilter("owner_id", "==", from_id))
        reassign_in_batches(self._client, query, "owner_id", to_id, batch_size)


def _chunked(rows: Iterable[DatasetRow]) -> Iterator[tuple[int, list[str], int]]:
    """(first row number, encoded rows, bytes) of consecutive chunks."""
    encoded: list[str] = []
    size = 0
    first = 1
    for row in rows:
        text = encode_row(row)
        nbytes = len(text) if text.isascii() else len(text.encode())
        if encoded and (len(encoded) >= CHUNK_ROWS or size + nbytes > CHUNK_BYTES):
            yield first, encoded, size
            first += len(encoded)
            encoded, size = [], 0
        encoded.append(text)
        size += nbytes
    if encoded:
        yield first, encoded, size


def _submit(pool: ThreadPoolExecutor, pending: list[Future[Any]], batch: Any) -> list[Future[Any]]:
    """Commit ``batch`` in the pool, first waiting while IN_FLIGHT commits are running."""
    for future in [f for f in pending if f.done()]:
        future.result()  # re-raises a failed commit: the import stops there
        pending.remove(future)
    while len(pending) >= IN_FLIGHT:
        pending.pop(0).result()
    pending.append(pool.submit(batch.commit, **BOUNDED))
    return pending
