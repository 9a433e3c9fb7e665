"""Every decision record is listed on docs/decisions/index.md, under its own title, exactly
once, in an area; a superseded record is listed as such and says so at its top."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

DECISIONS = Path(__file__).resolve().parents[2] / "docs" / "decisions"
SUPERSEDED = "## Superseded"
NOTE = re.compile(r"^\*\*Superseded by \[docs/[^\]]+\]\([^)]+\)")


def title(record: Path) -> str:
    heading = record.read_text(encoding="utf-8").splitlines()[0]
    return re.sub(r"^#\s*\d{4}\.?\s*(—\s*)?", "", heading).strip()


def records() -> list[Path]:
    found = sorted(DECISIONS.glob("[0-9][0-9][0-9][0-9]-*.md"))
    assert found
    return found


def index() -> str:
    return (DECISIONS / "index.md").read_text(encoding="utf-8")


def superseded(record: Path) -> bool:
    """Its top (the lines after the heading) carries a 'Superseded by docs/...' note."""
    lines = record.read_text(encoding="utf-8").splitlines()[1:6]
    return any(NOTE.match(line) for line in lines)


def test_the_index_lists_every_record_by_its_title() -> None:
    text = index()
    for record in records():
        row = f"| [{record.name[:4]}]({record.name}) | {title(record)} |"
        assert row in text, f"docs/decisions/index.md lacks: {row}"


def test_each_record_is_listed_once_under_an_area() -> None:
    text = index()
    listed = re.findall(r"^\| \[(\d{4})\]\(([^)]+)\) \|", text, flags=re.MULTILINE)
    names = [name for _, name in listed]
    assert sorted(names) == [record.name for record in records()]
    first_row = text.index("| [")
    assert text.rfind("\n## ", 0, first_row) != -1, "rows come after an area's heading"


def test_superseded_records_are_marked_in_the_index_and_at_their_top() -> None:
    text = index()
    old = text[text.index(SUPERSEDED) :] if SUPERSEDED in text else ""
    for record in records():
        listed_as_old = f"| [{record.name[:4]}]({record.name}) |" in old
        assert listed_as_old == superseded(record), record.name
