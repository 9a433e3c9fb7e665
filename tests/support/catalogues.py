"""The pages' and mails' catalogues, the core's and each unit's: compiled for the tests as
`make translations` does, and compared with the strings the code and templates use
(docs/contributing.md, "Adding a language"; which strings are whose: scripts/catalogues.py)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from scripts.catalogues import CORE, WEB, languages, wanted

TRANSLATIONS = CORE  # the core's catalogue


def folders() -> list[Path]:
    """Every catalogue of the tree: the core's, then the units' (``<unit>/translations``)."""
    return [CORE, *sorted(WEB.glob("*/translations"))]


def named(folder: Path) -> str:
    """A catalogue's name in a test's id: "core", or its unit's."""
    return "core" if folder == CORE else folder.parent.name


def catalogues() -> dict[str, Path]:
    """Each language's ``.po`` of every catalogue, by "<catalogue>/<language>"."""
    return {
        f"{named(folder)}/{language}": po
        for folder in folders()
        for language, po in languages(folder).items()
    }


@cache
def strings() -> dict[Path, frozenset[str]]:
    """The strings each catalogue holds, as the code and templates use them today."""
    return {folder: frozenset(found) for folder, found in wanted().items()}


def compile_catalogues() -> None:
    for po in catalogues().values():
        with po.open("rb") as source:
            catalog = read_po(source)
        mo = po.with_suffix(".mo")
        # Written aside, then renamed: parallel test workers each compile them at start-up,
        # and one must never read a file another is writing.
        partial = mo.with_name(f"{mo.stem}.{os.getpid()}.mo")
        with partial.open("wb") as target:
            write_mo(target, catalog)
        os.replace(partial, mo)


def translated(po: Path) -> set[str]:
    with po.open("rb") as source:
        catalog: Catalog = read_po(source)
    return {
        str(m.id)
        for m in catalog
        if m.id
        and m.string
        and not m.fuzzy
        and all(m.string if isinstance(m.string, tuple) else [m.string])
    }
