"""A start without tricks (docs/decisions/0453-one-import-in-the-master.md): no module of
src/, nor gunicorn's configuration, pauses or freezes the cyclic garbage collector, reaches
into the C library through ctypes, or answers a module's missing names with a module-level
``__getattr__``. Read from the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((ROOT / "src").rglob("*.py")), ROOT / "gunicorn.conf.py"]
COLLECTOR = {"disable", "freeze", "unfreeze", "set_threshold"}


def tricks(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names]
            if any(name == "ctypes" or name.startswith("ctypes.") for name in names):
                found.append(f"{node.lineno}: imports ctypes")
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "gc"
            and node.attr in COLLECTOR
        ):
            found.append(f"{node.lineno}: gc.{node.attr}")
    found += [
        f"{node.lineno}: a module __getattr__"
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__"
    ]
    return found


def test_no_start_trick() -> None:
    assert len(SOURCES) > 100
    found = {str(path.relative_to(ROOT)): tricks(path) for path in SOURCES}
    assert {path: lines for path, lines in found.items() if lines} == {}


def test_the_check_sees_a_trick(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import gc\nimport ctypes\ngc.disable()\ngc.freeze()\n\n\ndef __getattr__(name): ...\n",
        encoding="utf-8",
    )
    assert tricks(sample) == [
        "2: imports ctypes",
        "3: gc.disable",
        "4: gc.freeze",
        "7: a module __getattr__",
    ]
