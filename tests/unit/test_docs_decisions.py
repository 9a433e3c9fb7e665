"""Every decision record is listed on docs/decisions/index.md, under its own title."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

DECISIONS = Path(__file__).resolve().parents[2] / "docs" / "decisions"


def title(record: Path) -> str:
    heading = record.read_text(encoding="utf-8").splitlines()[0]
    return re.sub(r"^#\s*\d{4}\.?\s*(—\s*)?", "", heading).strip()


def test_the_index_lists_every_record_by_its_title() -> None:
    index = (DECISIONS / "index.md").read_text(encoding="utf-8")
    records = sorted(DECISIONS.glob("[0-9][0-9][0-9][0-9]-*.md"))
    assert records
    for record in records:
        row = f"| [{record.name[:4]}]({record.name}) | {title(record)} |"
        assert row in index, f"docs/decisions/index.md lacks: {row}"
