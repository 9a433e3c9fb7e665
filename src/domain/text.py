"""Free text a client may store: no control characters (NUL, escape, C1 controls...).

A single line (titles, names) allows none; multi-line text (a task's description) keeps
tab, line feed and carriage return. See docs/decisions/0051-text-fields.md.
"""

from __future__ import annotations

import re

from domain.errors import InvalidInput

# Unicode category Cc: C0, DEL and C1.
_ANY_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_NOT_LINE_BREAK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control(text: str, *, multiline: bool = False) -> bool:
    pattern = _CONTROL_NOT_LINE_BREAK if multiline else _ANY_CONTROL
    return pattern.search(text) is not None


# Unicode's explicit direction formatting (embeddings, overrides, isolates, marks): in text
# shown to others they reorder what is around them ("\u202eevil" reads backwards).
_DIRECTION_CONTROL = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def has_direction_control(text: str) -> bool:
    return _DIRECTION_CONTROL.search(text) is not None


# A lone surrogate: JSON's "\ud800" escape reads as one, yet it is no character (no UTF-8
# encodes it), so no store, token or page can hold it.
_SURROGATE = re.compile("[\ud800-\udfff]")


def is_text(text: str) -> bool:
    """Whether ``text`` is Unicode text: no lone surrogate in it."""
    return _SURROGATE.search(text) is None


def without_controls(text: str) -> str:
    """``text`` with every control character dropped (for text from other systems)."""
    return _ANY_CONTROL.sub("", text)


def check_text(field: str, text: str | None, *, multiline: bool = False) -> None:
    if text is not None and has_control(text, multiline=multiline):
        allowed = " other than tab and line breaks" if multiline else ""
        raise InvalidInput.field(
            field, f"Control characters{allowed} are not allowed.", "control_character"
        )
