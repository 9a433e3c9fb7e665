"""Reading JSON a client sent: bounded nesting, no repeated keys, no NaN or Infinity.

``json.loads`` recurses once per level of nesting, so a few KB of ``[[[...]]]`` raise
RecursionError (a 500) instead of ValueError. The depth is checked before parsing: a count
of opening brackets settles nearly every body at once; only a body with more brackets than
the limit has its bracket structure measured.
See docs/decisions/0050-json-input-limits.md.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32  # request bodies are flat; a dataset schema is two levels deep

# A string, closed or not: brackets inside strings are not nesting.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_BRACKETS = bytes.maketrans(b"[{]}", b"(())")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[{]}"))


class UnreadableJson(ValueError):
    """The text is not JSON we accept; ``code`` says why, the message says it to a client."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def too_deep(text: str, max_depth: int = MAX_DEPTH) -> bool:
    """Is ``text`` nested deeper than ``max_depth``? Exact for JSON; for text that is not
    JSON, False only where the parser's own recursion stays under ``2 * max_depth``."""
    if text.count("[") + text.count("{") <= max_depth:
        return False
    # Brackets alone, then innermost pairs removed a level per pass, each pass a C loop:
    # a Python loop over every bracket costs more than parsing.
    shape = _STRING.sub(b"", text.encode("utf-8", "surrogatepass"))
    shape = shape.translate(_BRACKETS, _NOT_BRACKETS)
    for _ in range(max_depth):
        if b"()" not in shape:
            break
        shape = shape.replace(b"()", b"")
    # What is left is deeper than max_depth, or brackets never closed (or never opened).
    return b"()" in shape or shape.count(b"(") > max_depth


def _no_constant(name: str) -> Any:
    raise UnreadableJson(f"{name} is not valid JSON.", "malformed_json")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # {"role": "user", "role": "admin"}: parsers disagree on which one wins, so refuse it.
    data = dict(pairs)
    if len(data) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise UnreadableJson(f"The key '{key}' appears more than once.", "duplicate_key")
            seen.add(key)
    return data


def read_json(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """The value of ``text``; UnreadableJson (a ValueError) for anything we do not accept."""
    if too_deep(text, max_depth):
        raise UnreadableJson(
            f"The JSON is nested more than {max_depth} levels deep.", "json_too_deep"
        )
    try:
        return json.loads(text, parse_constant=_no_constant, object_pairs_hook=_unique_keys)
    except UnreadableJson:
        raise
    except ValueError as exc:
        raise UnreadableJson("This is not valid JSON.", "malformed_json") from exc
