"""No module of src/ is over 600 lines, and domain/accounts/users.py, the ``User`` record with
its rules, is under 500 (docs/contributing.md, "Where a new module goes"): a module past that
is split along a seam it already has, its importers importing from the new place."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

SRC = Path(__file__).resolve().parents[2] / "src"
MODULE_MAX_LINES = 600
USERS = "domain/accounts/users.py"
USERS_UNDER_LINES = 500  # the User record and its rules; the values it holds live apart


def sizes() -> dict[str, int]:
    """Each module of src/ by its path below it, with its number of lines."""
    return {
        str(path.relative_to(SRC)): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(SRC.rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def test_the_scan_finds_the_modules() -> None:
    found = sizes()
    assert len(found) > 300
    assert found[USERS] > 100


def test_no_module_is_over_600_lines() -> None:
    long = {path: lines for path, lines in sizes().items() if lines > MODULE_MAX_LINES}
    assert not long, long


def test_the_user_record_s_module_is_under_500_lines() -> None:
    assert sizes()[USERS] < USERS_UNDER_LINES
