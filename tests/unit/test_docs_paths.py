"""Every repository file the docs name by its path from the root (``tests/...``,
``src/...``, ``bench/...``, ``scripts/...``, ``deploy/...``) exists (but a unit's that
scripts/remove_unit.py took out of this copy: tests/support/taken_out.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from scripts.units_contract import unit_names

from tests.support.taken_out import taken_out
from tests.support.units import documented_units

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
_PATH = re.compile(r"(?<![\w/.-])((?:tests|src|bench|scripts|deploy)/[\w/.-]+\.[a-z]+)")


def test_the_files_the_docs_name_exist() -> None:
    taken = taken_out()
    missing = sorted(
        f"{page.relative_to(ROOT)}: {path}"
        for page in (ROOT / "docs").rglob("*.md")
        for path in _PATH.findall(page.read_text(encoding="utf-8"))
        if not (ROOT / path).exists() and not taken.holds(path)
    )
    assert not missing, missing


def test_the_docs_list_every_unit() -> None:
    assert set(unit_names()) <= set(documented_units())
