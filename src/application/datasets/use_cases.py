"""Datasets (docs/reference/datasets.md): CSV upload with validation, stored rows, export, deletion.

An import reads the uploaded file twice from the web layer's spool (a temporary file), never
holding it in memory: pass 1 checks that the file is usable at all and infers column types;
only then is anything stored (record, object, rows), and pass 2 validates and writes the rows
as it reads them. A failure after the first write removes what was written.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

from application.datasets.csv_input import (
    CsvLimits,
    detect_delimiter,
    parse_delimiter,
    read_records,
)
from application.json_text import UnreadableJson, read_json
from application.pagination import Page, decode_cursor, paginate
from application.ports import Clock, FileStore
from application.signin.authentication import Actor
from application.uploads import Upload, measure
from domain.accounts.users import Role
from domain.datasets import (
    ColumnSpec,
    Dataset,
    DatasetRow,
    DatasetStatus,
    Repeats,
    RepeatScan,
    ReportBuilder,
    RowValidator,
    TypeTally,
    check_header,
    check_name,
    dataset_object_key,
    header_findings,
    is_empty,
    neutralize,
    parse_schema,
    plan_columns,
)
from domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unreadable
from domain.ids import is_id, new_id
from domain.uploads import check_filename


class DatasetRepository(Protocol):
    def add(self, dataset: Dataset) -> None:
        """Store a new dataset record."""
        ...

    def get(self, dataset_id: str) -> Dataset | None:
        """The dataset with this id, whoever owns it; None if absent."""
        ...

    def save(self, dataset: Dataset) -> None:
        """Replace an existing dataset record; NotFound if it was deleted meanwhile."""
        ...

    def list_page(self, owner_id: str | None, after: str | None, limit: int) -> list[Dataset]:
        """Up to ``limit`` datasets by id after ``after``: the owner's, or all (None)."""
        ...

    def add_rows(self, dataset_id: str, rows: Iterable[DatasetRow]) -> int:
        """Store rows numbered 1, 2, ... in bounded batches, streaming; how many."""
        ...

    def rows_page(self, dataset_id: str, after: int, limit: int) -> list[DatasetRow]:
        """Up to ``limit`` rows numbered after ``after``, in order."""
        ...

    def delete(self, dataset_id: str, batch_size: int) -> None:
        """Delete the rows in bounded batches, then the record (idempotent, resumable)."""
        ...

    def ids_owned_by(self, owner_id: str, limit: int) -> list[str]:
        """Ids of up to ``limit`` of the owner's datasets, in any state."""
        ...

    def move_owned(self, from_id: str, to_id: str, batch_size: int) -> None:
        """Give ``to_id`` every dataset of ``from_id`` (their records; rows and source stay
        the dataset's), in bounded batches."""
        ...


log = logging.getLogger("firegate.datasets")
DEFAULT_FILENAME = "data.csv"
DELETE_BATCH = 200
EXPORT_PAGE = 500


@dataclass(frozen=True)
class DatasetLimits:
    max_upload_bytes: int
    csv: CsvLimits


@dataclass(frozen=True)
class DatasetForm:
    """What an upload's body holds."""

    name: str
    upload: Upload
    schema: str | None = None  # JSON text, as sent
    delimiter: str | None = None


@dataclass(frozen=True)
class ImportDataset:
    actor: Actor
    # Reads the request's body: called only once the actor may upload, so a refused upload
    # is never read (nor spooled to disk).
    form: Callable[[], DatasetForm]


@dataclass(frozen=True)
class DatasetQuery:
    actor: Actor
    limit: int
    cursor: str | None = None


@dataclass(frozen=True)
class ShowDataset:
    actor: Actor
    dataset_id: str


@dataclass(frozen=True)
class RowQuery:
    actor: Actor
    dataset_id: str
    limit: int
    cursor: str | None = None


@dataclass(frozen=True)
class ExportDataset:
    actor: Actor
    dataset_id: str


@dataclass(frozen=True)
class DeleteDataset:
    actor: Actor
    dataset_id: str


@dataclass(frozen=True)
class RowsPage:
    columns: tuple[str, ...]  # the header, to name the cells
    page: Page[DatasetRow]


def require_uploader(actor: Actor) -> None:
    if actor.role not in (Role.UPLOADER, Role.ADMIN):
        raise PermissionDenied(
            "Uploading datasets needs the uploader or admin role.", code="uploader_required"
        )


def read_schema(text: str | None, max_columns: int) -> dict[str, ColumnSpec] | None:
    if text is None or not text.strip():
        return None
    try:
        data = read_json(text)
    except UnreadableJson as exc:
        if exc.code == "malformed_json":
            raise InvalidInput.field(
                "schema", "The schema is not valid JSON.", "invalid_schema"
            ) from None
        # Refused by the reader itself, as a JSON body would be: 400, not a field error.
        raise Unreadable(f"The schema part: {exc}", code=exc.code) from None
    return parse_schema(data, max_columns)


@dataclass
class _Scan:
    header: list[str]
    rows: int
    tallies: list[TypeTally]
    repeats: Repeats


def _scan(
    upload: Upload, delimiter: str, limits: CsvLimits, schema: Mapping[str, ColumnSpec] | None
) -> _Scan:
    """Pass 1: is the file usable at all? The header, the row count, the type tallies of
    the columns the schema does not type (all of them without a schema), and the repeats."""
    records = read_records(upload.stream, delimiter, limits)
    header = next(records, None)
    if header is None:
        raise InvalidInput.field("file", "The file is empty.", "empty_file")
    check_header(header)
    tallies = [TypeTally() for _ in header]
    watched = [i for i, name in enumerate(header) if schema is None or name not in schema]
    repeats = RepeatScan(plan_columns(header, schema, tallies))  # unique: from the schema
    rows = 0
    for cells in records:
        rows += 1
        # An empty row is a finding of its own, not an empty cell in each column.
        if not all(is_empty(cell) for cell in cells):
            for index in watched:
                if index < len(cells):
                    tallies[index].add(cells[index])
        repeats.add(cells)
    if rows == 0:
        raise InvalidInput.field("file", "The file has a header but no data rows.", "no_rows")
    return _Scan(header, rows, tallies, repeats.result())


def _discard(dataset: Dataset, *, datasets: DatasetRepository, store: FileStore) -> None:
    """Undo a failed import; what cannot be undone now stays 'importing', for DELETE."""
    try:
        store.delete(dataset.object_key)
        datasets.delete(dataset.id, DELETE_BATCH)
    except Exception:
        log.warning("could not remove a failed import; it stays listed as importing")


def _not_found() -> NotFound:
    return NotFound("No such dataset.", code="dataset_not_found")


def _visible(datasets: DatasetRepository, actor: Actor, dataset_id: str) -> Dataset:
    found = datasets.get(dataset_id) if is_id(dataset_id) else None
    if found is None or not found.visible_to(actor.user_id, actor.role == Role.ADMIN):
        raise _not_found()  # another user's dataset is as absent as a missing one
    return found


def _ready(dataset: Dataset) -> Dataset:
    if dataset.status is not DatasetStatus.READY:
        raise Conflict(
            "The dataset is still being imported (or its import was interrupted: delete it "
            "and upload again).",
            code="dataset_not_ready",
        )
    return dataset


def _delete(
    dataset_id: str, object_key: str, *, datasets: DatasetRepository, store: FileStore
) -> None:
    store.delete(object_key)
    datasets.delete(dataset_id, DELETE_BATCH)  # rows, then the record: resumable


@dataclass(frozen=True)
class OwnedDatasets:
    """OwnedData: a user's datasets (object, rows, record), deleted with the account;
    MovableData: given to another with a merged guest's data."""

    datasets: DatasetRepository
    store: FileStore

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        while ids := self.datasets.ids_owned_by(user_id, batch_size):
            for dataset_id in ids:
                key = dataset_object_key(dataset_id)
                _delete(dataset_id, key, datasets=self.datasets, store=self.store)

    def move_owned(self, from_id: str, to_id: str, batch_size: int) -> None:
        """MovableData: a guest's datasets, given to the account it is merged into."""
        self.datasets.move_owned(from_id, to_id, batch_size)


@dataclass(frozen=True, kw_only=True, slots=True)
class Datasets:
    """The dataset use cases: uploaders and admins import CSV files; a dataset is seen by
    its owner and the admins, anybody else gets 404 as for a missing one."""

    datasets: DatasetRepository
    store: FileStore
    clock: Clock
    limits: DatasetLimits

    def import_csv(self, cmd: ImportDataset) -> Dataset:
        limits, datasets, store = self.limits, self.datasets, self.store
        require_uploader(cmd.actor)
        form = cmd.form()
        name = check_name(form.name)
        filename = check_filename(form.upload.filename or DEFAULT_FILENAME)
        schema = read_schema(form.schema, limits.csv.max_columns)
        delimiter = parse_delimiter(form.delimiter)
        size, sha256 = measure(form.upload.stream, limits.max_upload_bytes)
        if size == 0:
            raise InvalidInput.field("file", "The file is empty.", "empty_file")
        delimiter = delimiter or detect_delimiter(form.upload.stream)
        scan = _scan(form.upload, delimiter, limits.csv, schema)
        columns = plan_columns(scan.header, schema, scan.tallies)

        dataset = Dataset(
            id=new_id(),
            name=name,
            filename=filename,
            owner_id=cmd.actor.user_id,
            created_at=self.clock.now(),
            status=DatasetStatus.IMPORTING,
            size=size,
            sha256=sha256,
            delimiter=delimiter,
            columns=columns,
        )
        report = ReportBuilder()
        report.add(header_findings(scan.header, schema))
        validator = RowValidator(columns, scan.repeats)

        def rows() -> Iterator[DatasetRow]:
            records = read_records(form.upload.stream, delimiter, limits.csv)
            next(records)  # the header, checked in pass 1
            for number, cells in enumerate(records, start=1):
                findings = validator.check(number, cells)
                report.add(findings)
                yield DatasetRow(number, tuple(cells), tuple(findings))

        # Everything below writes; the record goes first so that an interrupted import is
        # visible (status "importing") and removable by DELETE and by the account's deletion.
        datasets.add(dataset)
        try:
            store.save(dataset.object_key, form.upload.stream, size=size, content_type="text/csv")
            count = datasets.add_rows(dataset.id, rows())
            done = dataset.imported(count, columns, report.build())
            datasets.save(done)
        except BaseException:
            _discard(dataset, datasets=datasets, store=store)
            raise
        return done

    def list(self, cmd: DatasetQuery) -> Page[Dataset]:
        """The caller's datasets, or everyone's for an admin, by id."""
        actor, limit = cmd.actor, cmd.limit
        after = decode_cursor(cmd.cursor)
        if after is not None and not is_id(after):
            raise InvalidInput.field("cursor", "This cursor is not valid.", "invalid_cursor")
        owner = None if actor.role == Role.ADMIN else actor.user_id
        found = self.datasets.list_page(owner, after, limit + 1)
        return paginate(found, limit, found[limit - 1].id if len(found) > limit else None)

    def show(self, cmd: ShowDataset) -> Dataset:
        return _visible(self.datasets, cmd.actor, cmd.dataset_id)

    def rows(self, cmd: RowQuery) -> RowsPage:
        limit = cmd.limit
        dataset = _ready(_visible(self.datasets, cmd.actor, cmd.dataset_id))
        position = decode_cursor(cmd.cursor)
        if position is not None and not (position.isascii() and position.isdigit()):
            raise InvalidInput.field("cursor", "This cursor is not valid.", "invalid_cursor")
        after = int(position) if position is not None else 0
        found = self.datasets.rows_page(dataset.id, after, limit + 1)
        last = str(found[limit - 1].number) if len(found) > limit else None
        columns = tuple(column.name for column in dataset.columns)
        return RowsPage(columns, paginate(found, limit, last))

    def export_csv(self, cmd: ExportDataset) -> tuple[Dataset, Iterator[str]]:
        """The stored rows as CSV text, streamed page by page; formula-like cells
        neutralized."""
        datasets = self.datasets
        dataset = _ready(_visible(datasets, cmd.actor, cmd.dataset_id))

        def lines() -> Iterator[str]:
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow([neutralize(column.name) for column in dataset.columns])
            after = 0
            while batch := datasets.rows_page(dataset.id, after, EXPORT_PAGE):
                writer.writerows([neutralize(cell) for cell in row.cells] for row in batch)
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
                after = batch[-1].number
            if buffer.tell():
                yield buffer.getvalue()

        return dataset, lines()

    def delete(self, cmd: DeleteDataset) -> None:
        dataset = _visible(self.datasets, cmd.actor, cmd.dataset_id)
        _delete(dataset.id, dataset.object_key, datasets=self.datasets, store=self.store)
