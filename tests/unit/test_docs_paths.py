"""Every repository file the docs name by its path from the root (``tests/...``,
``src/...``, ``bench/...``, ``scripts/...``, ``deploy/...``) exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
_PATH = re.compile(r"(?<![\w/.-])((?:tests|src|bench|scripts|deploy)/[\w/.-]+\.[a-z]+)")


def test_the_files_the_docs_name_exist() -> None:
    missing = sorted(
        f"{page.relative_to(ROOT)}: {path}"
        for page in (ROOT / "docs").rglob("*.md")
        for path in _PATH.findall(page.read_text(encoding="utf-8"))
        if not (ROOT / path).exists()
    )
    assert not missing, missing
