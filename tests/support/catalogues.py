"""The pages' and mails' catalogues: compiled for the tests as `make translations` does, and
compared with the strings the code and templates use (docs/contributing.md)."""

from __future__ import annotations

import os
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "src" / "interfaces" / "web" / "translations"
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None}
# What babel.cfg extracts: the pages' code and templates, the provider's pages, and the mail
# templates.
SOURCES = [
    (ROOT / "src" / "interfaces" / "web", [("**.py", "python"), ("**.html", "jinja2")]),
    (ROOT / "src" / "interfaces" / "provider", [("**.py", "python")]),
    (ROOT / "src" / "infrastructure" / "mail" / "templates", [("**", "jinja2")]),
]


def catalogues() -> dict[str, Path]:
    return {po.parent.parent.name: po for po in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/*.po"))}


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


def used_strings() -> set[str]:
    found: set[str] = set()
    for directory, methods in SOURCES:
        for _name, _line, message, _comments, _context in extract_from_dir(
            str(directory), method_map=methods, keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


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
