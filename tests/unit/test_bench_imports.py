"""The bench scripts import from src/ only names that exist: a bench is run by hand, now and
then, and a name src/ no longer has failed it only then (bench/emulator_reads.py imported a
``RETRY`` that had become ``retry_policy()``)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SOURCE_PACKAGES = {path.name for path in (ROOT / "src").iterdir() if path.is_dir()} | {"wsgi"}


def imported_from_src(script: Path) -> list[tuple[int, str, str]]:
    """(line, module, name) of each ``from <src module> import <name>`` in ``script``."""
    found: list[tuple[int, str, str]] = []
    for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and not node.level
            and node.module.split(".")[0] in SOURCE_PACKAGES
        ):
            found += [(node.lineno, node.module, alias.name) for alias in node.names]
    return found


def exists(module: str, name: str) -> bool:
    """Whether ``from module import name`` finds a name or a submodule."""
    found = importlib.import_module(module)
    if hasattr(found, name):
        return True
    if not hasattr(found, "__path__"):
        return False
    try:
        importlib.import_module(f"{module}.{name}")
    except ModuleNotFoundError:
        return False
    return True


def test_every_name_a_bench_script_imports_from_src_exists() -> None:
    missing = [
        f"{script.relative_to(ROOT)}:{line}: {module}.{name}"
        for script in sorted((ROOT / "bench").rglob("*.py"))
        for line, module, name in imported_from_src(script)
        if not exists(module, name)
    ]
    assert not missing, "src/ has no such name:\n" + "\n".join(missing)
