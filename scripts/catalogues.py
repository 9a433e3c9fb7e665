#!/usr/bin/env python3
"""The pages' and mails' catalogues and the strings each holds (docs/contributing.md,
"Adding a language"; docs/decisions/0870-a-units-strings-and-mails-in-its-folders.md).

The core's catalogue, ``src/interfaces/web/translations/``, holds the strings of the core's
page modules, templates and mails; an optional unit's, ``src/interfaces/web/<unit>/translations/``,
those of its own (``interfaces/web/<unit>/``, ``interfaces/web/templates/<unit>/``,
``infrastructure/mail/templates/<unit>/``) that the core's do not use. Taking a unit out
takes its catalogue with it and leaves the core's whole.

    .venv/bin/python scripts/catalogues.py

writes each catalogue's ``messages.pot`` from the code, as ``pybabel extract`` did for the
one catalogue, and updates each of its languages' ``.po`` with it (``pybabel update``): a
new string is then an empty entry to translate, a string no longer used is gone.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from bootstrap.units import UNITS

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
WEB = SRC / "interfaces" / "web"
MAIL_TEMPLATES = SRC / "infrastructure" / "mail" / "templates"
CORE = WEB / "translations"
# what pybabel extracts: ``_``, ``gettext``, ``N_``, ... and the page modules' ``lazy_gettext``
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None}
PAGES = [("**.py", "python"), ("**.html", "jinja2")]
MAILS = [("**", "jinja2")]

type Sources = list[tuple[Path, list[tuple[str, str]]]]


def unit_folders(unit: str) -> list[Path]:
    """The folders whose strings are a unit's: its page modules, its templates, its mails."""
    return [WEB / unit, WEB / "templates" / unit, MAIL_TEMPLATES / unit]


def catalogue_of(unit: str) -> Path:
    return WEB / unit / "translations"


def core_sources(units: Iterable[str]) -> Sources:
    """The core's page modules and templates, the provider's pages and the mails: every
    file of those folders but the units'."""
    folders = [folder for unit in units for folder in unit_folders(unit)]

    def skipping(root: Path) -> list[tuple[str, str]]:
        return [(f"{f.relative_to(root)}/**", "ignore") for f in folders if f.is_relative_to(root)]

    return [
        (WEB, [*skipping(WEB), *PAGES]),
        (SRC / "interfaces" / "provider", [("**.py", "python")]),
        (MAIL_TEMPLATES, [*skipping(MAIL_TEMPLATES), *MAILS]),
    ]


def unit_sources(unit: str) -> Sources:
    web, templates, mails = unit_folders(unit)
    return [(web, PAGES), (templates, PAGES), (mails, MAILS)]


def strings(sources: Sources) -> set[str]:
    found: set[str] = set()
    for directory, methods in sources:
        if not directory.is_dir():
            continue
        for _name, _line, message, _comments, _context in extract_from_dir(
            str(directory), method_map=methods, keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def wanted(units: Iterable[str] | None = None) -> dict[Path, set[str]]:
    """Each catalogue's folder, with the strings it holds: the core's, then each unit's that
    has any of its own."""
    names = UNITS if units is None else tuple(units)
    core = strings(core_sources(names))
    found = {CORE: core}
    for unit in names:
        own = strings(unit_sources(unit)) - core
        if own or catalogue_of(unit).is_dir():
            found[catalogue_of(unit)] = own
    return found


def languages(catalogue: Path) -> dict[str, Path]:
    """A catalogue's languages, each with its ``.po``."""
    return {po.parent.parent.name: po for po in sorted(catalogue.glob("*/LC_MESSAGES/*.po"))}


def write_template(catalogue: Path, messages: set[str]) -> Catalog:
    template = Catalog()
    for message in sorted(messages):
        template.add(message)
    catalogue.mkdir(parents=True, exist_ok=True)
    with (catalogue / "messages.pot").open("wb") as target:
        write_po(target, template, omit_header=True, no_location=True, sort_output=True)
    return template


def update(po: Path, template: Catalog) -> None:
    with po.open("rb") as source:
        catalog = read_po(source)
    created = catalog.creation_date  # the template has no header: no date to take
    catalog.update(template, no_fuzzy_matching=True)
    catalog.creation_date = created
    catalog.obsolete.clear()
    with po.open("wb") as target:
        write_po(target, catalog, no_location=True)


def main() -> int:
    for catalogue, messages in wanted().items():
        template = write_template(catalogue, messages)
        for po in languages(catalogue).values():
            update(po, template)
        print(f"{catalogue.relative_to(ROOT)}: {len(messages)} strings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
