"""Look-alike text (Unicode UTS #39): confusable skeletons and mixed scripts.

Standard library only; the Unicode data is shipped in domain/data, made by
scripts/unicode_security_data.py (docs/decisions/0052-look-alike-usernames.md).
"""

from __future__ import annotations

import gzip
import unicodedata
from bisect import bisect_right
from functools import cache
from importlib import resources

# Scripts that several scripts share (digits, punctuation, combining marks): they mix with
# any one script.
_SHARED = frozenset({"Common", "Inherited"})
# UTS #39 "highly restrictive": one script, or one of these combinations (Japanese,
# Chinese with Bopomofo, Korean), each with Latin.
_ALLOWED_MIXES = (
    frozenset({"Latin", "Han", "Hiragana", "Katakana"}),
    frozenset({"Latin", "Han", "Bopomofo"}),
    frozenset({"Latin", "Han", "Hangul"}),
)


def _lines(name: str) -> list[list[str]]:
    data = resources.files("domain.data").joinpath(name).read_bytes()
    text = gzip.decompress(data).decode()
    return [line.split("\t") for line in text.splitlines() if not line.startswith("#")]


def _chars(hex_points: str) -> str:
    return "".join(chr(int(point, 16)) for point in hex_points.split())


@cache
def _prototypes() -> dict[str, str]:
    return {_chars(source): _chars(prototype) for source, prototype in _lines("confusables.txt.gz")}


@cache
def _script_ranges() -> tuple[list[int], list[int], list[str]]:
    rows = _lines("scripts.txt.gz")
    return (
        [int(first, 16) for first, _, _ in rows],
        [int(last, 16) for _, last, _ in rows],
        [name for _, _, name in rows],
    )


def skeleton(text: str) -> str:
    """UTS #39 skeleton: NFD, each character replaced by its prototype, NFD again.
    Two strings that look alike have the same skeleton ("paypal" with a Cyrillic U+0430)."""
    prototypes = _prototypes()
    mapped = "".join(prototypes.get(ch, ch) for ch in unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFD", mapped)


def script(ch: str) -> str:
    firsts, lasts, names = _script_ranges()
    point = ord(ch)
    index = bisect_right(firsts, point) - 1
    return names[index] if index >= 0 and point <= lasts[index] else "Unknown"


def mixes_scripts(text: str) -> bool:
    """Letters of more than one script, beyond the combinations UTS #39 allows."""
    scripts = {script(ch) for ch in text} - _SHARED
    return len(scripts) > 1 and not any(scripts <= allowed for allowed in _ALLOWED_MIXES)
