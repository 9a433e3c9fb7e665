"""Datasets (SPEC §8): column types and schemas, the row validator, the dataset entity.

Pure and deterministic: the same header, schema and rows always give the same findings, so
the rules are property-tested (tests/unit/test_dataset_validation.py).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from domain.errors import FieldError, InvalidInput

NAME_MAX = 200
COLUMN_NAME_MAX = 256
UNIQUE_COLUMNS_MAX = 10  # each costs 8 bytes a row while a file is checked
REPORT_MAX_FINDINGS = 1000  # listed in the report; the summary counts them all
VALUE_SHOWN_MAX = 40  # characters of a cell quoted in a finding's message
INFER_THRESHOLD = 0.9  # share of a column's non-empty cells that must fit an inferred type


class ColumnType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    EMAIL = "email"


class Rule(StrEnum):
    EMPTY = "empty"
    TYPE = "type"
    DUPLICATE = "duplicate"
    MISSING_COLUMN = "missing_column"
    UNKNOWN_COLUMN = "unknown_column"
    ENCODING = "encoding"


_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(?:\.[^@\s.]+)+")
_BOOLEANS = frozenset({"true", "false", "yes", "no", "y", "n", "t", "f", "1", "0"})
# Inference tries the most specific types first; a tie goes to the earlier one.
_INFERABLE = (
    ColumnType.INTEGER,
    ColumnType.NUMBER,
    ColumnType.BOOLEAN,
    ColumnType.DATE,
    ColumnType.EMAIL,
)
_ARTICLE = {
    ColumnType.INTEGER: "an integer",
    ColumnType.NUMBER: "a number",
    ColumnType.BOOLEAN: "a boolean (true/false, yes/no, 1/0)",
    ColumnType.DATE: "a date (YYYY-MM-DD)",
    ColumnType.EMAIL: "an e-mail address",
}


def is_empty(value: str) -> bool:
    return not value.strip()


def _is_date(text: str) -> bool:
    if _DATE.fullmatch(text) is None:
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


_CHECKS: dict[ColumnType, Callable[[str], bool]] = {
    ColumnType.STRING: lambda _: True,
    ColumnType.INTEGER: lambda text: _INTEGER.fullmatch(text) is not None,
    ColumnType.NUMBER: lambda text: _NUMBER.fullmatch(text) is not None,
    ColumnType.BOOLEAN: lambda text: text.lower() in _BOOLEANS,
    ColumnType.DATE: _is_date,
    ColumnType.EMAIL: lambda text: len(text) <= 254 and _EMAIL.fullmatch(text) is not None,
}


def fits(column_type: ColumnType, value: str) -> bool:
    """Does a non-empty cell read as this type? Surrounding spaces are ignored."""
    return _CHECKS[column_type](value.strip())


def shown(value: str) -> str:
    """A cell as quoted in a message: bounded, control characters made visible."""
    cut = value if len(value) <= VALUE_SHOWN_MAX else value[: VALUE_SHOWN_MAX - 1] + "…"
    return repr(cut)


def _has_controls(value: str) -> bool:
    if value.isascii():
        return any((ord(ch) < 32 and ch not in "\t\r\n") or ch == "\x7f" for ch in value)
    return any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n" for ch in value)


def _mojibake(value: str) -> str | None:
    """UTF-8 text that was once decoded as Windows-1252 or Latin-1: "Ã©" for "é"."""
    for legacy in ("cp1252", "latin-1"):
        try:
            repaired = value.encode(legacy).decode("utf-8")
        except UnicodeError:
            continue
        if repaired != value:
            return f"looks like UTF-8 read as {legacy} (mojibake), e.g. {shown(repaired)}"
    return None


def encoding_problem(value: str) -> str | None:
    """Why a cell looks mis-encoded or damaged, or None. (Invalid UTF-8 is refused whole.)"""
    if _has_controls(value):
        return "contains control characters"
    if value.isascii():
        return None
    if "\ufffd" in value:
        return "contains U+FFFD, the mark of text that was decoded wrongly before"
    if "\ufeff" in value:
        return "contains a byte-order mark (U+FEFF)"
    return _mojibake(value)


# -- schema -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnSpec:
    type: ColumnType = ColumnType.STRING
    required: bool = False
    unique: bool = False


@dataclass(frozen=True)
class Column:
    """A column of a stored dataset: its header name and the rules its cells were checked by."""

    name: str
    type: ColumnType
    required: bool = False
    unique: bool = False
    inferred: bool = False


_SPEC_KEYS = frozenset({"type", "required", "unique"})
_TYPES = {t.value: t for t in ColumnType}


def parse_schema(data: object, max_columns: int) -> dict[str, ColumnSpec]:
    """A decoded JSON schema: ``{column: {"type", "required", "unique"}}``; 422 otherwise."""
    if not isinstance(data, dict) or not data:
        raise _schema_error("schema", "The schema must be a non-empty JSON object.")
    if len(data) > max_columns:
        raise _schema_error("schema", f"The schema names more than {max_columns} columns.")
    errors: list[FieldError] = []
    specs: dict[str, ColumnSpec] = {}
    types = ", ".join(t.value for t in ColumnType)
    for name, spec in data.items():
        where = f"schema.{name}"
        if not isinstance(spec, dict):
            errors.append(_bad(where, "Must be an object with type, required and unique."))
            continue
        problems = [
            _bad(f"{where}.{key}", "Unknown key: only type, required and unique are allowed.")
            for key in sorted(set(spec) - _SPEC_KEYS)
        ]
        raw_type = spec.get("type")
        column_type = _TYPES.get(raw_type) if isinstance(raw_type, str) else None
        if column_type is None:
            problems.append(_bad(f"{where}.type", f"Unknown type {raw_type!r}: one of {types}."))
        problems += [
            _bad(f"{where}.{flag}", "Must be true or false.")
            for flag in ("required", "unique")
            if not isinstance(spec.get(flag, False), bool)
        ]
        if problems or column_type is None:
            errors += problems
            continue
        specs[name] = ColumnSpec(
            column_type, spec.get("required", False), spec.get("unique", False)
        )
    if sum(spec.unique for spec in specs.values()) > UNIQUE_COLUMNS_MAX:
        errors.append(_bad("schema", f"At most {UNIQUE_COLUMNS_MAX} columns may be unique."))
    if errors:
        raise InvalidInput("The schema is not valid.", errors=tuple(errors), code="invalid_schema")
    return specs


def _bad(where: str, message: str) -> FieldError:
    return FieldError(where, message, "invalid_schema")


def _schema_error(where: str, message: str) -> InvalidInput:
    return InvalidInput.field(where, message, "invalid_schema")


def check_name(name: str) -> str:
    text = name.strip()
    if not 1 <= len(text) <= NAME_MAX or any(unicodedata.category(ch) == "Cc" for ch in text):
        raise InvalidInput.field(
            "name",
            f"The name must be 1 to {NAME_MAX} characters, without control characters.",
            "invalid_name",
        )
    return text


def check_header(header: Sequence[str]) -> None:
    """Column names must be usable as keys: non-empty, unique, bounded."""
    seen: set[str] = set()
    for index, name in enumerate(header, start=1):
        if is_empty(name):
            problem = f"Column {index} of the header has no name."
        elif len(name) > COLUMN_NAME_MAX:
            problem = f"Column {index}'s name is over {COLUMN_NAME_MAX} characters."
        elif name in seen:
            problem = f"The header names column {shown(name)} twice."
        else:
            seen.add(name)
            continue
        raise InvalidInput.field("file", problem, "invalid_header")


# -- findings -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One problem: ``row`` is the data row (1 = the first after the header), None for the
    file as a whole; ``column`` is None for a whole row."""

    row: int | None
    column: str | None
    rule: Rule
    message: str


@dataclass(frozen=True)
class DatasetRow:
    """A data row as given (any number of cells) with the findings that point at it."""

    number: int
    cells: tuple[str, ...]
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]  # the first REPORT_MAX_FINDINGS
    summary: Mapping[str, int]  # every finding, counted per rule
    truncated: bool = False


class ReportBuilder:
    def __init__(self, limit: int = REPORT_MAX_FINDINGS) -> None:
        self._limit = limit
        self._findings: list[Finding] = []
        self._summary: dict[str, int] = {}

    def add(self, findings: Iterable[Finding]) -> None:
        for finding in findings:
            self._summary[finding.rule] = self._summary.get(finding.rule, 0) + 1
            if len(self._findings) < self._limit:
                self._findings.append(finding)

    def build(self) -> Report:
        total = sum(self._summary.values())
        summary = {rule.value: self._summary[rule] for rule in Rule if rule in self._summary}
        return Report(tuple(self._findings), summary, truncated=total > len(self._findings))


# -- inference ----------------------------------------------------------------------------


@dataclass
class TypeTally:
    """How many non-empty cells of a column fit each inferable type (streamed, one pass)."""

    non_empty: int = 0
    fitting: dict[ColumnType, int] = field(default_factory=lambda: dict.fromkeys(_INFERABLE, 0))

    def add(self, value: str) -> None:
        if is_empty(value):
            return
        self.non_empty += 1
        for column_type in _INFERABLE:
            if fits(column_type, value):
                self.fitting[column_type] += 1

    def inferred(self) -> ColumnType:
        """The type most cells fit (the more specific on a tie), if at least 90 % fit it."""
        if not self.non_empty:
            return ColumnType.STRING
        best = max(_INFERABLE, key=lambda t: (self.fitting[t], -_INFERABLE.index(t)))
        if self.fitting[best] >= INFER_THRESHOLD * self.non_empty:
            return best
        return ColumnType.STRING


def plan_columns(
    header: Sequence[str],
    schema: Mapping[str, ColumnSpec] | None,
    tallies: Sequence[TypeTally],
) -> tuple[Column, ...]:
    """Each header column with its rules: from the schema, else inferred from its cells."""
    columns = []
    for name, tally in zip(header, tallies, strict=True):
        spec = schema.get(name) if schema is not None else None
        if spec is not None:
            columns.append(Column(name, spec.type, spec.required, spec.unique))
        else:
            columns.append(Column(name, tally.inferred(), inferred=True))
    return tuple(columns)


def header_findings(
    header: Sequence[str], schema: Mapping[str, ColumnSpec] | None
) -> list[Finding]:
    if schema is None:
        return []
    present = set(header)
    findings = [
        Finding(
            None,
            name,
            Rule.MISSING_COLUMN,
            f"The schema's {'required ' if spec.required else ''}column {shown(name)} "
            "is not in the file.",
        )
        for name, spec in schema.items()
        if name not in present
    ]
    findings += [
        Finding(None, name, Rule.UNKNOWN_COLUMN, f"Column {shown(name)} is not in the schema.")
        for name in header
        if name not in schema
    ]
    return findings


# -- the row validator --------------------------------------------------------------------


def _digest(cells: Iterable[str]) -> int:
    hasher = hashlib.blake2b(digest_size=8)
    for cell in cells:
        hasher.update(cell.encode("utf-8", "surrogatepass"))
        hasher.update(b"\x00\xff")  # a separator no UTF-8 text contains
    return int.from_bytes(hasher.digest(), "big") or 1  # 0 means "nothing to compare"


class DigestLog:
    """One 8-byte digest per row, in row order (0: nothing to compare), for finding repeats
    in constant memory per row: 8 bytes, where a dict of values would take about 100."""

    def __init__(self) -> None:
        self._digests = array("Q")

    def add(self, key: Sequence[str] | None) -> None:
        self._digests.append(_digest(key) if key is not None else 0)

    def repeats(self) -> dict[int, int]:
        """Each repeating row (1-based) and the first row it repeats."""
        digests = self._digests
        order = sorted(range(len(digests)), key=digests.__getitem__)  # stable: rows ascend
        found: dict[int, int] = {}
        previous, first = 0, 0
        for index in order:
            digest = digests[index]
            if digest == 0:
                continue
            if digest == previous:
                found[index + 1] = first
            else:
                previous, first = digest, index + 1
        return found


@dataclass(frozen=True)
class Repeats:
    """Which rows repeat an earlier one: whole rows, and values of each unique column."""

    rows: Mapping[int, int] = field(default_factory=dict)
    values: Mapping[int, Mapping[int, int]] = field(default_factory=dict)  # column index ->


class RepeatScan:
    """Pass 1 of the duplicate rules: feed every row in order, then ``result()``."""

    def __init__(self, columns: Sequence[Column]) -> None:
        self._rows = DigestLog()
        self._values = {index: DigestLog() for index, c in enumerate(columns) if c.unique}

    def add(self, cells: Sequence[str]) -> None:
        self._rows.add(None if all(is_empty(cell) for cell in cells) else cells)
        for index, log in self._values.items():
            value = cells[index].strip() if index < len(cells) else ""
            log.add((value,) if value else None)

    def result(self) -> Repeats:
        return Repeats(
            self._rows.repeats(), {index: log.repeats() for index, log in self._values.items()}
        )


class RowValidator:
    """Pass 2: the findings of one row after another, given the repeats found in pass 1."""

    def __init__(self, columns: Sequence[Column], repeats: Repeats | None = None) -> None:
        self._columns = tuple(columns)
        self._repeats = repeats or Repeats()

    def check(self, row: int, cells: Sequence[str]) -> list[Finding]:
        findings: list[Finding] = []
        width = len(self._columns)
        if all(is_empty(cell) for cell in cells):
            findings.append(Finding(row, None, Rule.EMPTY, "The row is empty."))
            return findings
        for index, column in enumerate(self._columns):
            if index >= len(cells):
                findings.append(
                    Finding(
                        row,
                        column.name,
                        Rule.MISSING_COLUMN,
                        f"The row has {len(cells)} of the header's {width} cells; "
                        f"{shown(column.name)} is missing.",
                    )
                )
                continue
            findings += self._check_cell(row, column, index, cells[index])
        if len(cells) > width:
            findings.append(
                Finding(
                    row,
                    None,
                    Rule.UNKNOWN_COLUMN,
                    f"The row has {len(cells) - width} cell(s) more than the header's "
                    f"{width} columns.",
                )
            )
        for index in range(width, len(cells)):
            problem = encoding_problem(cells[index])
            if problem:
                findings.append(Finding(row, None, Rule.ENCODING, f"Extra cell {problem}."))
        first = self._repeats.rows.get(row)
        if first is not None:
            findings.append(
                Finding(row, None, Rule.DUPLICATE, f"The row repeats row {first} exactly.")
            )
        return findings

    def _check_cell(self, row: int, column: Column, index: int, value: str) -> list[Finding]:
        found: list[Finding] = []
        problem = encoding_problem(value)
        if problem:
            found.append(Finding(row, column.name, Rule.ENCODING, f"The cell {problem}."))
        if is_empty(value):
            if column.required:
                found.append(
                    Finding(row, column.name, Rule.EMPTY, "A value is required in this column.")
                )
            return found
        if not fits(column.type, value):
            found.append(
                Finding(
                    row,
                    column.name,
                    Rule.TYPE,
                    f"{shown(value)} is not {_ARTICLE[column.type]}.",
                )
            )
        first = self._repeats.values.get(index, {}).get(row)
        if first is not None:
            found.append(
                Finding(
                    row,
                    column.name,
                    Rule.DUPLICATE,
                    f"{shown(value)} is already in row {first}; the column is unique.",
                )
            )
        return found


def validate_rows(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> list[Finding]:
    """Both passes over rows held in memory (rows numbered from 1): for tests and small data."""
    scan = RepeatScan(columns)
    for cells in rows:
        scan.add(cells)
    validator = RowValidator(columns, scan.result())
    return [f for number, cells in enumerate(rows, 1) for f in validator.check(number, cells)]


# -- formula injection --------------------------------------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(cell: str) -> str:
    """A cell as written into a CSV we hand back: one that starts like a formula (= + - @,
    tab, carriage return) gets a leading apostrophe, as OWASP advises, so that spreadsheets
    show it as text. Applied literally: ``-12.5`` comes back as ``'-12.5`` too."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


# -- the entity ---------------------------------------------------------------------------


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
