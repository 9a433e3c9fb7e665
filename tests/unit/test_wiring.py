"""The composition root is a table of contents: each capability's module in ``src/bootstrap``
builds its own record of the services (its ``wire``), what the capabilities lend one another
is made first (``loans.py``), and ``bind`` only calls them in the capability order
(docs/contributing.md, "Wiring")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from scripts.capability_order import capability_ranks

from bootstrap.units import CORE_UNITS

pytestmark = pytest.mark.unit
BOOTSTRAP = Path(__file__).resolve().parents[2] / "src" / "bootstrap"
CAPABILITIES = list(CORE_UNITS)


def _function(path: Path, name: str) -> ast.FunctionDef:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)


def _wired(bind: ast.FunctionDef) -> list[str]:
    """The capabilities whose ``wire`` ``bind`` calls, in the order of its code."""
    calls = [
        node
        for node in ast.walk(bind)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "wire"
        and isinstance(node.func.value, ast.Name)
    ]
    calls.sort(key=lambda node: (node.lineno, node.col_offset))
    return [ast.unparse(node.func).removesuffix(".wire") for node in calls]


def test_every_capability_wires_its_own_record() -> None:
    for capability in CAPABILITIES:
        wire = _function(BOOTSTRAP / f"{capability}.py", "wire")
        returned = ast.unparse(wire.returns) if wire.returns else ""
        assert returned.endswith("Services"), f"bootstrap/{capability}.py: wire -> {returned}"


def test_bind_calls_each_wire_once_in_the_capability_order() -> None:
    bind = _function(BOOTSTRAP / "binding.py", "bind")
    wired = _wired(bind)
    assert sorted(wired) == sorted(CAPABILITIES)
    ranks = capability_ranks()
    assert [ranks[name] for name in wired] == sorted(ranks[name] for name in wired), wired


def test_bind_and_the_table_of_contents_stay_short() -> None:
    bind = _function(BOOTSTRAP / "binding.py", "bind")
    assert bind.end_lineno is not None and bind.end_lineno - bind.lineno + 1 < 60
    contents = (BOOTSTRAP / "__init__.py").read_text(encoding="utf-8").splitlines()
    assert len(contents) <= 150
