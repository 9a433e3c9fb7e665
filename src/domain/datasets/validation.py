"""The row validator, in two streamed passes: repeats first, then each row's findings."""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from domain.datasets.cells import ColumnType, encoding_problem, fits, is_empty, shown
from domain.datasets.findings import Finding, Rule
from domain.datasets.inference import FILLED_THRESHOLD
from domain.datasets.schema import Column

_ARTICLE = {
    ColumnType.INTEGER: "an integer",
    ColumnType.NUMBER: "a number",
    ColumnType.BOOLEAN: "a boolean (true/false, yes/no, 1/0)",
    ColumnType.DATE: "a date (YYYY-MM-DD)",
    ColumnType.EMAIL: "an e-mail address",
}


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
                message = (
                    f"The cell is empty; at least {FILLED_THRESHOLD:.0%} of this column's "
                    "cells are filled."
                    if column.inferred
                    else "A value is required in this column."
                )
                found.append(Finding(row, column.name, Rule.EMPTY, message))
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
