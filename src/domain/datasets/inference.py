"""Column types inferred from the data, and each column's rules for a file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from domain.datasets.cells import ColumnType, fits, is_empty, shown
from domain.datasets.findings import Finding, Rule
from domain.datasets.schema import Column, ColumnSpec

INFER_THRESHOLD = 0.9  # share of a column's non-empty cells that must fit an inferred type
FILLED_THRESHOLD = 0.9  # share of a column's cells filled for its empty ones to be findings


# Inference tries the most specific types first; a tie goes to the earlier one.
_INFERABLE = (
    ColumnType.INTEGER,
    ColumnType.NUMBER,
    ColumnType.BOOLEAN,
    ColumnType.DATE,
    ColumnType.EMAIL,
)


@dataclass
class TypeTally:
    """How many cells of a column are filled, and how many of those fit each inferable type
    (streamed, one pass)."""

    non_empty: int = 0
    cells: int = 0  # empty ones too
    fitting: dict[ColumnType, int] = field(default_factory=lambda: dict.fromkeys(_INFERABLE, 0))

    def add(self, value: str) -> None:
        self.cells += 1
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

    def mostly_filled(self) -> bool:
        """At least 90 % of the cells are filled: an empty one is worth a finding."""
        return self.cells > 0 and self.non_empty >= FILLED_THRESHOLD * self.cells


def plan_columns(
    header: Sequence[str],
    schema: Mapping[str, ColumnSpec] | None,
    tallies: Sequence[TypeTally],
) -> tuple[Column, ...]:
    """Each header column with its rules: from the schema, else inferred from its cells (a
    mostly filled column is inferred as required)."""
    columns = []
    for name, tally in zip(header, tallies, strict=True):
        spec = schema.get(name) if schema is not None else None
        if spec is not None:
            columns.append(Column(name, spec.type, spec.required, spec.unique))
        else:
            columns.append(
                Column(name, tally.inferred(), required=tally.mostly_filled(), inferred=True)
            )
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
