from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from application.datasets.use_cases import RowsPage
from domain.datasets import NAME_MAX, Dataset, Finding
from interfaces.http.schemas.common import PageOut, Schema, not_null, single_line

RuleName = Literal["empty", "type", "duplicate", "missing_column", "unknown_column", "encoding"]
TypeName = Literal["string", "integer", "number", "boolean", "date", "email"]
SCHEMA_TEXT_MAX = 256 * 1024


class DatasetFields(Schema):
    """The text fields of POST /datasets (the ``file`` part is read separately)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: str = Field(min_length=1, max_length=NAME_MAX)
    schema_text: str | None = Field(default=None, alias="schema", max_length=SCHEMA_TEXT_MAX)
    delimiter: str | None = Field(default=None, max_length=16)


class DatasetUpload(Schema):
    """multipart/form-data of POST /datasets (documentation)."""

    # Other fields are refused (422); a form field cannot be null, only left out.
    model_config = ConfigDict(extra="forbid")
    file: bytes = Field(
        description="The CSV file: UTF-8 (a byte-order mark is fine), a header row first",
        json_schema_extra={"format": "binary"},
    )
    name: str = Field(
        min_length=1,
        max_length=NAME_MAX,
        examples=["Customers 2026"],
        json_schema_extra=single_line,
    )
    schema_: str | None = Field(
        default=None,
        alias="schema",
        description='JSON: {"column": {"type": "integer", "required": true, "unique": false}}; '
        "types: string, integer, number, boolean, date, email",
        examples=['{"id": {"type": "integer", "required": true, "unique": true}}'],
        json_schema_extra=not_null,
    )
    delimiter: Literal[",", ";", "|", "tab", "comma", "semicolon", "pipe"] | None = Field(
        default=None,
        description="Detected from the first lines when omitted",
        json_schema_extra=not_null,
    )


class FindingOut(Schema):
    row: int | None = Field(description="Data row (1 = the first after the header); null: file")
    column: str | None = Field(description="Column name; null: the whole row")
    rule: RuleName
    message: str

    @classmethod
    def of(cls, finding: Finding) -> FindingOut:
        return cls.model_validate(finding, from_attributes=True)


class ReportOut(Schema):
    findings: list[FindingOut] = Field(description="The first 1000 findings")
    summary: dict[str, int] = Field(description="Every finding, counted per rule")
    truncated: bool = Field(description="True when there are more findings than listed")


class ColumnOut(Schema):
    name: str
    type: TypeName
    required: bool
    unique: bool
    inferred: bool = Field(description="Typed from the data, not by the schema")


class DatasetSummaryOut(Schema):
    id: str
    name: str
    filename: str
    owner_id: str
    status: Literal["importing", "ready"]
    row_count: int
    columns: list[ColumnOut]
    created_at: datetime
    size: int = Field(description="Bytes of the uploaded file")
    sha256: str = Field(description="SHA-256 (hex) of the uploaded file")
    delimiter: str


class DatasetOut(DatasetSummaryOut):
    report: ReportOut

    @classmethod
    def of(cls, dataset: Dataset) -> DatasetOut:
        return cls.model_validate(dataset, from_attributes=True)


class DatasetListItem(DatasetSummaryOut):
    summary: dict[str, int] = Field(description="Findings per rule (GET /datasets/{id}: all)")

    @classmethod
    def of(cls, dataset: Dataset) -> DatasetListItem:
        base = DatasetSummaryOut.model_validate(dataset, from_attributes=True)
        return cls(**base.model_dump(), summary=dict(dataset.report.summary))


class DatasetPage(PageOut[DatasetListItem]):
    pass


class RowOut(Schema):
    row: int
    values: dict[str, str] = Field(description="The cells by column name, as given")
    extra: list[str] = Field(description="Cells beyond the header's columns, as given")
    findings: list[FindingOut]


class RowPage(PageOut[RowOut]):
    @classmethod
    def of(cls, rows: RowsPage) -> RowPage:
        names = rows.columns
        return cls(
            items=[
                RowOut(
                    row=row.number,
                    values=dict(zip(names, row.cells, strict=False)),
                    extra=list(row.cells[len(names) :]),
                    findings=[FindingOut.of(f) for f in row.findings],
                )
                for row in rows.page.items
            ],
            next_cursor=rows.page.next_cursor,
        )
