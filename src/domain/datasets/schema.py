"""A dataset's schema as given (column specs) and the checks of its name and header."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from domain.datasets.cells import ColumnType, is_empty, shown
from domain.errors import FieldError, InvalidInput

NAME_MAX = 200
COLUMN_NAME_MAX = 256
UNIQUE_COLUMNS_MAX = 10  # each costs 8 bytes a row while a file is checked


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
