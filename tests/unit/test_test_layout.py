"""The tests' own layout (docs/testing.md): a test module imports what it shares from
tests/support/ and the fakes from tests/fakes/<capability>.py, or a unit's from its
tests/unit/<unit>/fakes.py (its own tests only), never from another test module or a
conftest.py; the fakes stay small modules, and their package is no bag of every fake."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from scripts.units_contract import unit_names

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
FAKES = TESTS / "fakes"
FAKES_MAX_LINES = 400  # past it, a module is a package in disguise (docs/contributing.md)


def imported(path: Path) -> Iterator[tuple[int, str]]:
    """Each module of the repository's tests that ``path`` imports, by its dotted name."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}".rstrip(".")
            # `from tests.support import mailbox` imports the module tests.support.mailbox
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name == "tests" or name.startswith("tests."):
                yield node.lineno, name


def allowed(name: str, importer: Path) -> bool:
    if importer.is_relative_to(FAKES):  # a fake needs other fakes at most
        return name.startswith("tests.fakes.")
    if name.startswith("tests.unit.") and name.split(".")[2] in unit_names():
        # a unit's fakes, for its own tests: they go together when the unit is taken out
        unit = name.split(".")[2]
        own = any(importer.is_relative_to(TESTS / kind / unit) for kind in ("unit", "e2e"))
        return own and (name + ".").startswith(f"tests.unit.{unit}.fakes.")
    return name.startswith(("tests.support.", "tests.fakes."))


def python_files() -> list[Path]:
    return sorted(
        path
        for folder in ("tests", "bench", "scripts")
        for path in (ROOT / folder).rglob("*.py")
        if "__pycache__" not in path.parts
    )


def test_no_test_module_imports_another_or_a_conftest() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in python_files()
        for line, name in imported(path)
        if not allowed(name, path)
    ]
    assert not wrong, "import it from tests/support/ or tests/fakes/ instead:\n" + "\n".join(wrong)


def test_the_fakes_are_small_modules_and_their_package_no_bag() -> None:
    modules = sorted(FAKES.glob("*.py"))
    assert len(modules) > 1
    too_long = {
        path.name: lines
        for path in modules
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > FAKES_MAX_LINES
    }
    assert not too_long, f"split these along their sections: {too_long}"
    package = ast.parse((FAKES / "__init__.py").read_text(encoding="utf-8"))
    assert not [n for n in package.body if isinstance(n, (ast.Import, ast.ImportFrom))]


def test_the_unit_tests_are_in_the_rooms_of_the_fakes() -> None:
    """tests/unit/<capability>/ beside tests/fakes/<capability>.py (docs/testing.md), or a
    unit's tests/unit/<unit>/ with its own fakes.py: each folder of the unit tests names a
    capability or a unit that has its fakes, and holds tests."""
    unit = TESTS / "unit"
    rooms = sorted(p.name for p in unit.iterdir() if p.is_dir() and p.name != "__pycache__")
    capabilities = {path.stem for path in FAKES.glob("*.py")} - {"__init__", "kernel"}
    capabilities |= {name for name in unit_names() if (unit / name / "fakes.py").exists()}
    assert rooms and set(rooms) <= capabilities, set(rooms) - capabilities
    assert all(list((unit / room).glob("test_*.py")) for room in rooms)
    assert all((unit / room / "__init__.py").exists() for room in rooms)
