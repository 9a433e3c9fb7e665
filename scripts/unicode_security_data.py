"""Writes src/domain/data/{confusables,scripts}.txt.gz from the pinned confusable-homoglyphs.

Usage: ``.venv/bin/python scripts/unicode_security_data.py [--check]``

The domain compares usernames by their UTS #39 skeleton and refuses mixed scripts, with the
standard library only; these two small files are the Unicode data it needs
(docs/decisions/0052-look-alike-usernames.md). confusable-homoglyphs ships the Unicode
confusables.txt and Scripts.txt as JSON, the confusables as an undirected graph
("a looks like b" both ways): the direction UTS #39 needs (source -> prototype) is rebuilt
here and checked, so a change in the library's data fails this script, not the service.
"""

from __future__ import annotations

import gzip
import sys
from collections import defaultdict
from pathlib import Path

from confusable_homoglyphs import categories, confusables  # type: ignore[import-untyped]

DATA = Path(__file__).resolve().parents[1] / "src" / "domain" / "data"
LRM = "\u200e"  # the library's data wraps right-to-left characters in it
HEADER = (
    "# Unicode {what}, from confusable-homoglyphs 3.3.1 by scripts/unicode_security_data.py.\n"
    "# Unicode data: Copyright (c) Unicode, Inc.; Unicode License v3.\n"
)


def _clean(text: str) -> str:
    return text[1:-1] if len(text) > 1 and text[0] == LRM and text[-1] == LRM else text


def prototypes() -> dict[str, str]:
    """confusables.txt as source character -> prototype (one character or several).

    Each line "source -> prototype" of confusables.txt is an edge of the library's graph,
    and sources map to prototypes that map to nothing, so every connected part is a star:
    its centre is the prototype. A part of two characters is one line; the library met its
    source first (its JSON keeps that order), unless only one side is a single character.
    """
    order: dict[str, int] = {}
    neighbours: defaultdict[str, set[str]] = defaultdict(set)
    for index, (key, entries) in enumerate(confusables.confusables_data.items()):
        a = _clean(key)
        order.setdefault(a, index)
        for entry in entries:
            b = _clean(entry["c"])
            neighbours[a].add(b)
            neighbours[b].add(a)
    mapping: dict[str, str] = {}
    for a, others in neighbours.items():
        for b in others:
            if len(others) > 1 and len(neighbours[b]) > 1:
                raise SystemExit(f"not a star: {a!r} - {b!r}")
            if len(others) > 1 or len(a) > 1:
                continue  # a is a prototype; its sources are handled from their side
            if len(neighbours[b]) == 1 and len(b) == 1 and order[b] < order[a]:
                continue  # a two-character part whose source is b
            if mapping.setdefault(a, b) != b:
                raise SystemExit(f"two prototypes for {a!r}")
    for source, prototype in mapping.items():
        if any(ch in mapping for ch in prototype):
            raise SystemExit(f"prototype {prototype!r} of {source!r} is itself a source")
    return mapping


def _hex(text: str) -> str:
    return " ".join(f"{ord(ch):04X}" for ch in text)


def confusables_text() -> str:
    lines = [f"{_hex(s)}\t{_hex(p)}\n" for s, p in sorted(prototypes().items())]
    return HEADER.format(what="confusables (UTS #39), source -> prototype") + "".join(lines)


def scripts_text() -> str:
    data = categories.categories_data
    names = data["iso_15924_aliases"]
    ranges: list[list[int | str]] = []
    for start, end, script, _category in data["code_points_ranges"]:
        name = names[script].title()
        if ranges and ranges[-1][2] == name and ranges[-1][1] == start - 1:
            ranges[-1][1] = end  # adjacent ranges of one script (categories differ)
        else:
            ranges.append([start, end, name])
    lines = [f"{start:04X}\t{end:04X}\t{name}\n" for start, end, name in ranges]
    return HEADER.format(what="scripts (Scripts.txt), first, last, script") + "".join(lines)


def main() -> int:
    wanted = {"confusables.txt.gz": confusables_text(), "scripts.txt.gz": scripts_text()}
    stale = []
    for name, text in wanted.items():
        path = DATA / name
        if "--check" in sys.argv:
            if not path.exists() or gzip.decompress(path.read_bytes()).decode() != text:
                stale.append(name)
        else:
            path.write_bytes(gzip.compress(text.encode(), mtime=0))
    if stale:
        print("stale:", ", ".join(stale), "- run scripts/unicode_security_data.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
