"""Every dataclass of src/ is the standard library's own: its ``__init__`` takes each field
under the annotation the field declares, as ``inspect`` and ``typing`` read it. A start-up
patch once compiled these methods elsewhere and gave them annotations such as ``'_type_id'``
(docs/decisions/0453-one-import-in-the-master.md); the service now runs the dataclasses as
Python makes them, in the tests as in production."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGES = ("domain", "application", "infrastructure", "interfaces", "bootstrap")


def modules_with_dataclasses() -> list[str]:
    """The modules of src/ whose text declares a dataclass, by their dotted names."""
    found = []
    for package in PACKAGES:
        for path in sorted((SRC / package).rglob("*.py")):
            if "@dataclass" in path.read_text(encoding="utf-8"):
                parts = path.relative_to(SRC).with_suffix("").parts
                found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


MODULES = modules_with_dataclasses()


def test_the_scan_finds_the_service_s_dataclasses() -> None:
    assert len(MODULES) > 100
    assert "domain.accounts.users" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_each_dataclass_init_takes_its_fields_as_declared(name: str) -> None:
    module = importlib.import_module(name)
    classes = [
        cls
        for cls in vars(module).values()
        if inspect.isclass(cls) and dataclasses.is_dataclass(cls) and cls.__module__ == name
    ]
    assert classes, f"{name} declares a dataclass but none was made"
    wrong = []
    for cls in classes:
        parameters = inspect.signature(cls.__init__).parameters
        for field in dataclasses.fields(cls):
            if not field.init:
                continue
            annotation = parameters[field.name].annotation
            if annotation != field.type:
                wrong.append(f"{cls.__name__}.{field.name}: {annotation!r} for {field.type!r}")
    assert not wrong, "\n".join(wrong)
