"""No room of src/ holds more than ten modules (docs/contributing.md, "Where a new module
goes"): a capability's folder in a layer, or a room inside one, that passes ten is split by
what its modules hold (``application/orgs/members/``, ``interfaces/provider/server/grants/``,
``infrastructure/settings/identity/``). The layers' own folders are not rooms: the
composition root holds a module per capability (``src/bootstrap/``)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

SRC = Path(__file__).resolve().parents[2] / "src"
ROOM_MAX = 10


def rooms() -> dict[str, int]:
    """Each folder below a layer's (``src/<layer>/<room>/...``): the modules it holds itself,
    its package's ``__init__.py`` left out."""
    return {
        str(folder.relative_to(SRC)): sum(
            1 for module in folder.glob("*.py") if module.name != "__init__.py"
        )
        for layer in sorted(p for p in SRC.iterdir() if p.is_dir())
        for folder in sorted(layer.rglob("*"))
        if folder.is_dir() and folder.name != "__pycache__"
    }


def test_the_scan_finds_the_rooms() -> None:
    found = rooms()
    assert "application/orgs" in found
    assert found["application/orgs/members"] >= 1


def test_no_room_holds_more_than_ten_modules() -> None:
    crowded = {room: count for room, count in rooms().items() if count > ROOM_MAX}
    assert not crowded, crowded
