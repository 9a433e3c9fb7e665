"""The pages' compiled templates, kept for the process: an app's Jinja environments (its own
and one overlay per language, interfaces/web/translated.py) compile each template the first
time they render it, and a process that makes many apps, as the tests do, compiled the same
templates again for each, half the CPU of a test of the pages. Jinja's bytecode cache keeps
the code each compiled, by template and source (an edited template compiles anew); a
language's overlay has the translations written into its code, so each language, with its
catalogue, has a cache of its own (docs/decisions/0354-ci-in-half-the-time.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket


class KeptCode(BytecodeCache):
    """Jinja's compiled code of templates, in memory, for the process."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)  # refused when the source has changed since

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


UNTRANSLATED = KeptCode()  # the apps' own environments: their _() translates when rendering
_TRANSLATED: dict[str, KeptCode] = {}
WEB = Path(__file__).parent
TRANSLATIONS = WEB / "translations"  # the core's catalogue of the pages' and mails' strings


def catalogue_of(unit: str) -> Path:
    """A unit's own catalogue, in its pages' folder: the strings of its page modules,
    templates and mails that the core's do not use
    (docs/decisions/0870-a-units-strings-and-mails-in-its-folders.md)."""
    return WEB / unit / "translations"


def catalogues(units: Iterable[str]) -> tuple[Path, ...]:
    """The catalogues the pages and mails of ``units`` (the running units' names) read,
    merged in this order: the core's, then each unit's that has one."""
    return (TRANSLATIONS, *(found for found in map(catalogue_of, units) if found.is_dir()))


def translated_code(language: str) -> KeptCode:
    """The cache of one language's overlays, whose texts come from its compiled catalogue:
    kept by the catalogue's contents, so that a catalogue compiled again (a new text) is
    never answered with code that has the old texts written in."""
    return _TRANSLATED.setdefault(f"{language}:{_digest(language)}", KeptCode())


def _digest(language: str) -> str:
    """The compiled catalogues of ``language``, the core's and every unit's, as a hash (""
    where it has none: English)."""
    compiled = [
        mo
        for catalogue in (TRANSLATIONS, *sorted(WEB.glob("*/translations")))
        if (mo := catalogue / language / "LC_MESSAGES" / "messages.mo").is_file()
    ]
    if not compiled:
        return ""
    found = hashlib.sha256()
    for mo in compiled:
        found.update(mo.read_bytes())
    return found.hexdigest()
