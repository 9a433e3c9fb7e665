"""No module of src/ reaches into another package's private parts (docs/contributing.md,
"Library internals"): it neither reads, calls nor sets an attribute whose name starts with one
underscore on anything but its own objects, nor overrides such a method of a class it
subclasses from another package. A library upgrade may change those without a word; the
service would then break silently.

Found from the source (an attribute ``x._name`` read on something that is not ``self`` or
``cls``, whose name src/ itself does not define; ``getattr(x, "_name")`` alike) and from the
classes themselves (a method ``_name`` of a class of src/ that a base class from elsewhere
has too). The few names that are public APIs despite their underscore are listed with why."""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

SRC = Path(__file__).resolve().parents[2] / "src"
OURS = ("domain", "application", "infrastructure", "interfaces", "bootstrap", "wsgi")
# Public despite the underscore, each by its library's documentation.
PUBLIC: dict[str, str] = {
    "_replace": "namedtuple's documented method (urllib.parse's results are namedtuples)",
    "_asdict": "namedtuple's documented method",
    "_fields": "namedtuple's documented attribute",
    "_exit": "os._exit, the documented way a forked child ends without running exit handlers",
}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _modules() -> Iterator[tuple[str, Path, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).with_suffix("")
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        yield ".".join(parts), path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def _defined_here(trees: list[ast.Module]) -> set[str]:
    """Every name src/ itself gives a thing: functions, classes, attributes it sets, imports."""
    names: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id in ("self", "cls")
            ):
                names.add(node.attr)  # set on its own objects: another package's is reached
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, ast.alias):
                names.add((node.asname or node.name).split(".")[0])
    return names


def _reached(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            yield node.lineno, node.attr
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _private(node.args[1].value)
        ):
            yield node.lineno, node.args[1].value


def _overridden(module_name: str, tree: ast.Module) -> Iterator[str]:
    """Private methods written in the module's classes that a base class from elsewhere has
    too (found by name in the source, checked on the class's bases)."""
    module = importlib.import_module(module_name)
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        cls = getattr(module, node.name, None)
        if not inspect.isclass(cls):
            continue
        written = {
            item.name
            for item in node.body
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and _private(item.name)
        }
        foreign = [base for base in cls.__mro__[1:] if not base.__module__.startswith(OURS)]
        for name in sorted(written):
            owner = next((base for base in foreign if name in vars(base)), None)
            if owner is not None:
                yield f"{cls.__qualname__}.{name} overrides {owner.__module__}.{owner.__qualname__}"


def test_no_private_attribute_of_another_package_is_reached() -> None:
    modules = list(_modules())
    ours = _defined_here([tree for _, _, tree in modules])
    found = [
        f"{path.relative_to(SRC)}:{line}: {name}"
        for _, path, tree in modules
        for line, name in _reached(tree)
        if name not in ours and name not in PUBLIC
    ]
    assert found == [], "\n".join(found)


def test_no_private_method_of_another_package_is_overridden() -> None:
    found = [
        override
        for module_name, _, tree in _modules()
        if module_name != "wsgi"
        for override in _overridden(module_name, tree)
    ]
    assert found == [], "\n".join(found)


def test_the_scan_finds_what_it_is_for(tmp_path: Path) -> None:
    # A module that reads a private attribute of another package's object is found; its own
    # private names and the public namedtuple method are not.
    tree = ast.parse(
        "import gettext\n"
        "class Mine:\n"
        "    def _own(self) -> None: ...\n"
        "t = gettext.NullTranslations()\n"
        "t._catalog\n"
        "Mine()._own()\n"
        "getattr(t, '_fallback')\n"
    )
    reached = [name for _, name in _reached(tree)]
    assert sorted(reached) == ["_catalog", "_fallback", "_own"]
    ours = _defined_here([tree])
    assert sorted(name for name in reached if name not in ours) == ["_catalog", "_fallback"]
