"""No module outside a unit imports it (docs/contributing.md, "Units").

A unit lives in modules or folders named by it in each layer (``domain/tasks.py``,
``interfaces/http/routes/tasks/``, ``bootstrap/tasks.py``, ...) and is named once, as a
string, in ``bootstrap/units.py``. The kernel and every other unit reach it through its record
only: none of their modules imports one of its modules, so deleting the unit leaves them
whole. The units are read from ``UNITS`` in ``src/bootstrap/units.py``; import-linter runs
this contract (``UnitsContract``) with ``make lint``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from pathlib import Path

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain.contract import Contract, ContractCheck

type Import = tuple[str, str]  # (importer, imported)
UNITS_MODULE = Path(__file__).resolve().parents[1] / "src" / "bootstrap" / "units.py"


def unit_names(units_module: Path = UNITS_MODULE) -> tuple[str, ...]:
    """The names ``UNITS`` lists, read without importing the module."""
    tree = ast.parse(units_module.read_text(encoding="utf-8"))
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        value = getattr(node, "value", None)
        if any(isinstance(t, ast.Name) and t.id == "UNITS" for t in targets) and isinstance(
            value, ast.Tuple
        ):
            return tuple(str(ast.literal_eval(element)) for element in value.elts)
    raise ValueError(f"no UNITS tuple in {units_module}")


def unit_of(module: str, units: Sequence[str]) -> str | None:
    """The unit a module belongs to: the first part below its top package named by one."""
    return next((part for part in module.split(".")[1:] if part in units), None)


def imports_into_units(imports: Iterable[Import], units: Sequence[str]) -> list[Import]:
    """The imports of a unit's module by a module that is not the unit's."""
    return sorted(
        (importer, imported)
        for importer, imported in imports
        if (target := unit_of(imported, units)) is not None and unit_of(importer, units) != target
    )


class UnitsContract(Contract):
    """import-linter: only a unit's own modules import its modules."""

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        units = unit_names()
        imports = [
            (importer, imported)
            for importer in graph.modules
            for imported in graph.find_modules_directly_imported_by(importer)
        ]
        found = imports_into_units(imports, units)
        return ContractCheck(kept=not found, warnings=[], metadata={"found": found})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, imported in check.metadata["found"]:
            output.print_error(f"- {importer} -> {imported} (a unit's module)", bold=False)
        output.new_line()
