"""A start without tricks (docs/decisions/0453-one-import-in-the-master.md): no module of
src/, nor gunicorn's configuration, pauses or freezes the cyclic garbage collector, reaches
into the C library through ctypes, answers a module's missing names with a module-level
``__getattr__``, or imports a module by its name in a string (``importlib.import_module``,
``__import__``): what loads on first use does so with a plain ``import`` in the function
that first needs it (docs/decisions/0530-protocol-stacks-loaded-when-used.md). Read from the
source."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.source_trees import trees_naming

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
COLLECTOR = {"disable", "freeze", "unfreeze", "set_threshold"}
# A module that holds none of these names has no trick (tests/support/source_trees.py)
NAMED = ("ctypes", *COLLECTOR, "__import__", "import_module", "__getattr__")
# The one stand-in left: google-cloud-firestore and google.api_core's exceptions, named as
# modules by fifty adapters and imported by a worker's first use of one of their names
# (docs/decisions/0432-the-cloud-sdk-on-first-use.md). And the units' list, which names each
# unit's bootstrap module once, as a string, so that nothing else names it and a unit left
# out is not imported (docs/decisions/0700-a-feature-is-a-unit.md).
BY_NAME_ALLOWED = {"src/infrastructure/firestore/sdk.py", "src/bootstrap/units.py"}


def sources() -> Iterator[tuple[Path, ast.Module]]:
    """src/'s modules and gunicorn's configuration that may hold a trick, parsed."""
    yield from trees_naming(ROOT / "src", *NAMED)
    yield from trees_naming(ROOT, *NAMED, files="gunicorn.conf.py")


def tricks(path: Path) -> list[str]:
    return tricks_in(ast.parse(path.read_text(encoding="utf-8"), str(path)))


def tricks_in(tree: ast.Module) -> list[str]:
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
        if isinstance(node, ast.Call) and _imports_by_name(node.func):
            found.append(f"{node.lineno}: imports a module by name")
    found += [
        f"{node.lineno}: a module __getattr__"
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__"
    ]
    return found


def _imports_by_name(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("__import__", "import_module")
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def test_no_start_trick() -> None:
    assert len(list((ROOT / "src").rglob("*.py"))) > 100
    found = {str(path.relative_to(ROOT)): tricks_in(tree) for path, tree in sources()}
    for path in BY_NAME_ALLOWED:
        found[path] = [line for line in found.get(path, []) if not line.endswith("by name")]
    assert {path: lines for path, lines in found.items() if lines} == {}


def test_the_check_sees_a_trick(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import gc\nimport ctypes\ngc.disable()\ngc.freeze()\n\n\ndef __getattr__(name): ...\n"
        "import importlib\nimportlib.import_module('saml2')\n__import__('scim2_models')\n",
        encoding="utf-8",
    )
    assert tricks(sample) == [
        "2: imports ctypes",
        "9: imports a module by name",
        "10: imports a module by name",
        "3: gc.disable",
        "4: gc.freeze",
        "7: a module __getattr__",
    ]
