"""Findings: what the validator says about a file, its rows and cells, and the report."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

REPORT_MAX_FINDINGS = 1000  # listed in the report; the summary counts them all


class Rule(StrEnum):
    EMPTY = "empty"
    TYPE = "type"
    DUPLICATE = "duplicate"
    MISSING_COLUMN = "missing_column"
    UNKNOWN_COLUMN = "unknown_column"
    ENCODING = "encoding"


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
