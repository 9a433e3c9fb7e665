"""Opaque cursors for ``?limit=&cursor=`` pagination (docs/reference/index.md)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from domain.errors import InvalidInput
from domain.ids import is_id

T = TypeVar("T")
DEFAULT_LIMIT, MAX_LIMIT = 20, 100


@dataclass(frozen=True)
class Page[T]:
    items: list[T]
    next_cursor: str | None


def encode_cursor(after: str) -> str:
    raw = json.dumps({"after": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str | None, *, longest: int = 256) -> str | None:
    """The position a cursor stands for; 422 ``invalid_cursor`` for anything we did not make
    (or longer than ``longest`` characters)."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        after = data["after"]
        if isinstance(after, str) and 0 < len(after) <= longest:
            return after
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError, RecursionError):
        pass  # RecursionError: JSON nested deeper than the parser goes
    raise InvalidInput.field("cursor", "This cursor is not valid.", "invalid_cursor")


def paginate[T](rows: list[T], limit: int, position: str | None) -> Page[T]:
    """``rows`` was fetched with ``limit + 1``; the extra one only says that more exist."""
    if len(rows) > limit and position is not None:
        return Page(items=rows[:limit], next_cursor=encode_cursor(position))
    return Page(items=rows[:limit], next_cursor=None)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def time_position(at: datetime, item_id: str) -> str:
    """A position in a list ordered by (time, id): exact to the microsecond, as stored."""
    return f"{(at - _EPOCH) // _MICROSECOND}.{item_id}"


def parse_time_position(position: str) -> tuple[datetime, str]:
    """The (time, id) of ``time_position``; 422 ``invalid_cursor`` for anything else."""
    micros, _, item_id = position.partition(".")
    if micros.isascii() and micros.lstrip("-").isdigit() and len(micros) <= 20 and is_id(item_id):
        try:
            return _EPOCH + int(micros) * _MICROSECOND, item_id
        except OverflowError:
            pass
    raise InvalidInput.field("cursor", "This cursor is not valid.", "invalid_cursor")
