"""The units contract: only a unit's own modules import its modules
(scripts/units_contract.py, run by import-linter in ``make lint``)."""

from __future__ import annotations

import pytest
from scripts.units_contract import imports_into_units, unit_names, unit_of

from bootstrap.units import UNITS

pytestmark = pytest.mark.unit


def test_the_units_are_read_from_units_py_without_importing_it() -> None:
    assert unit_names() == UNITS


def test_a_module_belongs_to_the_unit_its_path_names() -> None:
    units = ("tasks", "dogs")
    assert unit_of("interfaces.http.routes.tasks.compat", units) == "tasks"
    assert unit_of("bootstrap.dogs", units) == "dogs"
    assert unit_of("application.services", units) is None
    assert unit_of("tasks.anything", units) is None  # a top package is no unit


def test_an_import_of_a_units_module_from_outside_it_is_found() -> None:
    imports = [
        ("bootstrap.binding", "application.tasks"),  # the kernel: refused
        ("bootstrap.dogs", "domain.tasks"),  # another unit: refused
        ("interfaces.http.routes.tasks.routes", "application.tasks"),  # its own
        ("bootstrap.tasks", "infrastructure.firestore.tasks"),  # its own
        ("application.tasks", "domain.errors"),  # the kernel, from the unit
    ]
    assert imports_into_units(imports, ("tasks", "dogs")) == [
        ("bootstrap.binding", "application.tasks"),
        ("bootstrap.dogs", "domain.tasks"),
    ]
