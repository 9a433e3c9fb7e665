"""Reading an uploaded CSV file: strict UTF-8, bounded lines, fields, columns and rows.

Streams: one line (at most ``max_row_bytes`` characters) and one record at a time, so a
file of any size is read in constant memory. Every problem that makes the file unusable is
raised as a 4xx domain error (422 for content, 413 for size) before anything is stored.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from domain.errors import InvalidInput, TooLarge

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}
CSV_MODULE_FIELD_LIMIT = 131_072  # csv.field_size_limit()'s default; we never raise it
SAMPLE_BYTES = 64 * 1024
SAMPLE_LINES = 50
_FOREIGN_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass(frozen=True)
class CsvLimits:
    max_rows: int
    max_columns: int
    max_field_chars: int = CSV_MODULE_FIELD_LIMIT
    max_row_bytes: int = 512 * 1024  # UTF-8 bytes of a row's cells; a row is one document part


def _file_error(message: str, code: str) -> InvalidInput:
    return InvalidInput.field("file", message, code)


def _too_large(message: str, code: str) -> TooLarge:
    return TooLarge(message, code=code)


def parse_delimiter(value: str | None) -> str | None:
    """A delimiter given by the client: one of , ; | or a tab (also by name); 422 else."""
    if value is None or value == "":
        return None
    chosen = DELIMITER_NAMES.get(value.lower(), value)
    if chosen not in DELIMITERS:
        raise InvalidInput.field(
            "delimiter",
            "The delimiter must be one of ',', ';', '|' or a tab ('comma', 'semicolon', "
            "'pipe', 'tab').",
            "invalid_delimiter",
        )
    return chosen


def detect_delimiter(stream: BinaryIO) -> str:
    """The delimiter that splits the first lines into the same number (> 1) of columns,
    the most columns winning; ',' when none does. Leaves the stream at its start."""
    stream.seek(0)
    raw = stream.read(SAMPLE_BYTES)
    stream.seek(0)
    text = raw.decode("utf-8", "ignore").removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    if len(raw) == SAMPLE_BYTES and len(lines) > 1:
        lines.pop()  # probably cut in the middle
    lines = lines[:SAMPLE_LINES]
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        try:
            widths = [len(r) for r in csv.reader(lines, delimiter=delimiter, strict=True) if r]
        except csv.Error:
            continue
        if not widths or widths[0] < 2:
            continue
        score = (widths.count(widths[0]) / len(widths), widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _lines(text: io.TextIOWrapper, limits: CsvLimits, position: list[int]) -> Iterator[str]:
    while True:
        try:
            line = text.readline(limits.max_row_bytes + 2)
        except UnicodeDecodeError:
            raise _file_error(
                f"The file is not valid UTF-8 (near line {position[0] + 1}). Save it as "
                "UTF-8 (a byte-order mark is fine) and upload it again.",
                "not_utf8",
            ) from None
        if not line:
            return
        position[0] += 1
        if len(line) > limits.max_row_bytes and len(line.rstrip("\r\n")) > limits.max_row_bytes:
            raise _too_large(
                f"Line {position[0]} is longer than {limits.max_row_bytes} characters.",
                "row_too_large",
            )
        if "\x00" in line:
            raise _file_error(
                f"The file contains a NUL byte (line {position[0]}): it is not a text CSV file.",
                "nul_byte",
            )
        yield line


def read_records(stream: BinaryIO, delimiter: str, limits: CsvLimits) -> Iterator[list[str]]:
    """The header, then every data row, as lists of cells as given (blank lines skipped).

    The stream is read from its start and left open.
    """
    stream.seek(0)
    head = stream.read(4)
    stream.seek(0)
    if head.startswith(_FOREIGN_BOMS):
        raise _file_error(
            "The file is UTF-16 or UTF-32; save it as UTF-8 and upload it again.", "not_utf8"
        )
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline="")
    position = [0]  # physical lines read, for messages
    try:
        reader = csv.reader(_lines(text, limits, position), delimiter=delimiter, strict=True)
        rows = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                if "field larger than field limit" in str(exc):
                    raise _field_too_large(limits, position[0]) from None
                raise _file_error(
                    f"The file is not valid CSV near line {position[0]} (check the quotes).",
                    "malformed_csv",
                ) from None
            if not cells:
                continue
            _check_record(cells, limits, position[0])
            if rows > limits.max_rows:  # the header is record 0
                raise _too_large(
                    f"The file has more than {limits.max_rows} data rows.", "too_many_rows"
                )
            rows += 1
            yield cells
    finally:
        text.detach()  # the caller's stream stays open


def _field_too_large(limits: CsvLimits, line: int) -> TooLarge:
    return _too_large(
        f"A field near line {line} is longer than {limits.max_field_chars} characters.",
        "field_too_large",
    )


def _check_record(cells: list[str], limits: CsvLimits, line: int) -> None:
    if len(cells) > limits.max_columns:
        raise _too_large(
            f"Line {line} has {len(cells)} columns; at most {limits.max_columns} are allowed.",
            "too_many_columns",
        )
    size = 0
    for cell in cells:
        if len(cell) > limits.max_field_chars:
            raise _field_too_large(limits, line)
        size += len(cell) if cell.isascii() else len(cell.encode("utf-8"))
    if size > limits.max_row_bytes:
        raise _too_large(
            f"The row ending on line {line} is over {limits.max_row_bytes} bytes.",
            "row_too_large",
        )
