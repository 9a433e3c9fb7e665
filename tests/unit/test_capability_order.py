"""The capabilities keep their order in every layer: no module of one imports a module of a
higher one (nor of another of its rank), and the graph of capabilities has no cycle. The order
is pyproject.toml's, the one import-linter's capabilities contract holds
(scripts/capability_order.py reads it)."""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import grimp
import pytest
from scripts.capability_order import (
    TOP_PACKAGES,
    Import,
    capability_cycles,
    capability_of,
    capability_ranks,
    direct_imports,
    upward_imports,
)

pytestmark = pytest.mark.unit
SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return direct_imports(grimp.build_graph(*TOP_PACKAGES, cache_dir=None))


def test_the_order_is_pyprojects_from_accounts_up() -> None:
    ranks = capability_ranks()
    # accounts the lowest of the core's (below it only the rooms of units' user parts still
    # inside the core, docs/decisions/0735-user-parts.md)
    core = ("accounts", "hooks", "signin", "federation", "mail", "events", "orgs", "provider")
    assert ranks["accounts"] == min(ranks[name] for name in core)
    assert ranks["hooks"] == ranks["accounts"] + 1 and ranks["signin"] == ranks["accounts"] + 2
    assert ranks["sso"] == ranks["scim"] < ranks["provider"] == ranks["migration"]
    assert "services" not in ranks and "ports" not in ranks and "errors" not in ranks


def test_a_module_belongs_to_the_capability_its_path_names() -> None:
    ranks = capability_ranks()
    assert capability_of("interfaces.web.signin.security", ranks) == "signin"
    assert capability_of("infrastructure.firestore.orgs.membership_reads", ranks) == "orgs"
    assert capability_of("bootstrap.accounts", ranks) == "accounts"
    assert capability_of("bootstrap.signin_adapters", ranks) == "signin"  # a part of signin's
    assert capability_of("application.sso.signin.saml", ranks) == "sso"  # sso's, named signin
    assert capability_of("interfaces.web.browser", ranks) is None  # the web layer's kernel


def test_no_capability_imports_a_higher_one_in_any_layer(imports: list[Import]) -> None:
    upward = upward_imports(imports, capability_ranks())
    assert not upward, "imports of a higher capability:\n" + "\n".join(
        f"{importer} -> {imported}" for importer, imported in upward
    )


def test_the_contract_names_no_exception() -> None:
    """No import is let through: a change's security events, the last ones, are written by
    events' mapping handed down by the composition (bootstrap/events.py, staged_writer)."""
    config = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text("utf-8"))
    contracts: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    (contract,) = [c for c in contracts if c.get("type") == "capability_order"]
    assert not contract.get("ignore_imports")


def test_the_capabilities_form_no_cycle(imports: list[Import]) -> None:
    cycles = capability_cycles(imports, capability_ranks())
    assert not cycles, "cycles: " + "; ".join(" -> ".join(cycle) for cycle in cycles)


def test_an_upward_import_and_a_cycle_are_told() -> None:
    ranks = capability_ranks()
    imports = [
        ("application.accounts.accounts", "application.signin.sessions"),
        ("application.signin.sessions", "domain.accounts.users"),
        ("application.sso.setup", "application.scim.tokens"),  # a sibling of its rank
        ("interfaces.web.browser", "application.signin.authentication"),  # a kernel's
    ]
    assert upward_imports(imports, ranks) == [
        ("application.accounts.accounts", "application.signin.sessions"),
        ("application.sso.setup", "application.scim.tokens"),
    ]
    assert capability_cycles(imports, ranks) == [["accounts", "signin"]]


# -- services() calls: the order holds for what a module calls, not only what it imports ---------


def service_calls(source: str, ranks: Mapping[str, int]) -> Iterator[tuple[str | None, int]]:
    """Each capability a module's code reaches through ``services()``
    (``services().of(SsoServices).x``, or a name bound to ``services(...)``), with its line:
    the capability of the module the record's type is imported from."""
    tree = ast.parse(source)
    imported = {
        alias.asname or alias.name: node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }

    def is_services(node: ast.expr) -> bool:
        return (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "services"
        )

    holders = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and is_services(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "of"
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Name)
        ):
            continue
        held = node.func.value
        if is_services(held) or (isinstance(held, ast.Name) and held.id in holders):
            module = imported.get(node.args[0].id)
            yield (capability_of(module, ranks) if module else None), node.lineno


def upward_service_calls(
    modules: Mapping[str, str], ranks: Mapping[str, int]
) -> list[tuple[str, int, str]]:
    """(module, line, capability) of each call from a module of one capability to the
    services of a higher one or of another of its rank; a layer's kernel may call any."""
    found = []
    for module, source in modules.items():
        own = capability_of(module, ranks)
        for called, line in service_calls(source, ranks):
            if own is None or called is None or called == own:
                continue
            if ranks[called] >= ranks[own]:
                found.append((module, line, called))
    return sorted(found)


def test_no_module_calls_the_services_of_a_higher_capability() -> None:
    modules = {
        ".".join(path.relative_to(SRC).with_suffix("").parts): path.read_text("utf-8")
        for path in SRC.rglob("*.py")
    }
    assert "interfaces.web.signin.signed_out" in modules
    upward = upward_service_calls(modules, capability_ranks())
    assert not upward, "services() calls up the order:\n" + "\n".join(
        f"{module}:{line} -> {called}" for module, line, called in upward
    )


def test_an_upward_services_call_is_told() -> None:
    sso = "from application.sso.services import SsoServices\n"
    modules = {
        "interfaces.web.signin.page": f"{sso}def f():\n    return services().of(SsoServices).x()\n",
        "interfaces.cli.orgs": (
            "from application.scim.services import ScimServices\n"
            "from application.accounts.services import AccountServices as A\n"
            "s = services(app)\ns.of(ScimServices).tokens.list()\ns.of(A).x()\n"
        ),
        "interfaces.web.browser": f"{sso}services().of(SsoServices).y()\n",  # a kernel's
        "interfaces.http.routes.orgs.x": "services().platform.jobs.run()\n",  # no capability
        # a type of the module's own, no capability's
        "interfaces.http.routes.orgs.y": "class Mine: ...\nservices().of(Mine).z()\n",
    }
    assert upward_service_calls(modules, capability_ranks()) == [
        ("interfaces.cli.orgs", 4, "scim"),
        ("interfaces.web.signin.page", 3, "sso"),
    ]
