"""Column types and the checks of one cell: type, encoding, and how a cell is quoted."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from enum import StrEnum

VALUE_SHOWN_MAX = 40  # characters of a cell quoted in a finding's message


class ColumnType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    EMAIL = "email"


_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(?:\.[^@\s.]+)+")
_BOOLEANS = frozenset({"true", "false", "yes", "no", "y", "n", "t", "f", "1", "0"})


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
