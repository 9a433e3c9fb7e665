"""The capabilities' order across the layers (docs/contributing.md, "Where code goes").

Every layer holds the same capabilities, each a folder named alike (``domain/signin``,
``application/signin``, ``infrastructure/firestore/signin``, ``interfaces/web/signin``,
``bootstrap/signin.py``, ...). A capability builds on those below it: a module of one imports
no module of a higher one, nor of another of its rank, in any layer. The order is written once,
as the layers of pyproject.toml's capabilities contract (``ORDER_CONTRACT``); this module reads
it there, for import-linter (``CapabilityOrderContract``, run by ``make lint``) and for
tests/unit/test_capability_order.py.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from grimp import ImportGraph
from importlinter.application import contract_utils, output
from importlinter.application.contract_utils import AlertLevel
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck

ORDER_CONTRACT = "Capabilities: the same rooms in every layer, each on the ones below it"
TOP_PACKAGES = ("domain", "application", "infrastructure", "interfaces", "bootstrap")
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"

type Import = tuple[str, str]  # (importer, imported)


def capability_ranks(pyproject: Path = PYPROJECT) -> dict[str, int]:
    """Each capability's rank, 0 the lowest: the layers of ``ORDER_CONTRACT``, leaving out
    the shared kernel (its modules are joined by ":") and what is no capability's folder in
    the domain or the application (``services``, the groups of use cases)."""
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    contracts: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    layers: list[str] = next(c for c in contracts if c["name"] == ORDER_CONTRACT)["layers"]
    src = pyproject.parent / "src"
    ranks: dict[str, int] = {}
    for layer in reversed(layers):
        if ":" in layer:
            continue
        names = [part.strip().strip("()") for part in layer.split("|")]
        rank = len(set(ranks.values()))
        for name in names:
            if any((src / top / name).is_dir() for top in ("domain", "application")):
                ranks[name] = rank
    return ranks


def capability_of(module: str, ranks: Mapping[str, int]) -> str | None:
    """The capability a module belongs to, by its path: the first folder or module below
    its top package named after one (``interfaces.web.signin.security``: signin), or a module
    of the composition root named after one and what of it it holds
    (``bootstrap.signin_adapters``: signin); None for a layer's shared kernel
    (``interfaces.web.browser``)."""
    top, *parts = module.split(".")
    found = next((part for part in parts if part in ranks), None)
    if found is None and top == "bootstrap" and len(parts) == 1:
        found = next((name for name in ranks if parts[0].startswith(name + "_")), None)
    return found


def upward_imports(imports: Iterable[Import], ranks: Mapping[str, int]) -> list[Import]:
    """The imports of a module of one capability from a module of a higher one or of
    another of its rank."""
    found = []
    for importer, imported in imports:
        lower, higher = capability_of(importer, ranks), capability_of(imported, ranks)
        if (
            lower is not None
            and higher is not None
            and lower != higher
            and ranks[higher] >= ranks[lower]
        ):
            found.append((importer, imported))
    return sorted(found)


def capability_cycles(imports: Iterable[Import], ranks: Mapping[str, int]) -> list[list[str]]:
    """The cycles of the graph of capabilities (one imports another where any of its modules
    imports one of the other's), each from its least capability by name."""
    edges: dict[str, set[str]] = {name: set() for name in ranks}
    for importer, imported in imports:
        a, b = capability_of(importer, ranks), capability_of(imported, ranks)
        if a is not None and b is not None and a != b:
            edges[a].add(b)
    cycles: set[tuple[str, ...]] = set()

    def walk(path: list[str]) -> None:
        for following in sorted(edges[path[-1]]):
            if following == path[0]:
                cycles.add(tuple(path))
            elif following not in path and following > path[0]:
                walk([*path, following])

    for start in sorted(edges):
        walk([start])
    return [list(cycle) for cycle in sorted(cycles)]


def direct_imports(graph: ImportGraph) -> list[Import]:
    return [
        (importer, imported)
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
    ]


class CapabilityOrderContract(Contract):
    """import-linter: no module of a capability imports a module of a higher one (or of
    another of its rank), in any layer, as ``ORDER_CONTRACT`` ranks them; direct imports,
    as each layer's shared kernel (a page's signed-in Actor, say) may be built on any."""

    ignore_imports = fields.SetField(subfield=fields.ImportExpressionField(), required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        removal = contract_utils.remove_ignored_imports_and_report(
            graph=graph,
            ignore_imports=self.ignore_imports,  # type: ignore[arg-type]
            unmatched_alerting=AlertLevel.ERROR,
        )
        ranks = capability_ranks()
        imports = direct_imports(graph)
        upward = upward_imports(imports, ranks)
        cycles = capability_cycles(imports, ranks)
        return ContractCheck(
            kept=not upward and not cycles,
            warnings=list(removal.warnings),
            ignored_import_count=removal.ignored_import_count,
            metadata={"upward": upward, "cycles": cycles, "ranks": ranks},
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        ranks: dict[str, int] = check.metadata["ranks"]
        for importer, imported in check.metadata["upward"]:
            lower, higher = capability_of(importer, ranks), capability_of(imported, ranks)
            output.print_error(f"- {importer} -> {imported} ({lower} below {higher})", bold=False)
        for cycle in check.metadata["cycles"]:
            output.print_error("- a cycle: " + " -> ".join([*cycle, cycle[0]]), bold=False)
        output.new_line()
