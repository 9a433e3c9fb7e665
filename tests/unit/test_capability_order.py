"""The capabilities keep their order in every layer: no module of one imports a module of a
higher one (nor of another of its rank), and the graph of capabilities has no cycle. The order
is pyproject.toml's, the one import-linter's capabilities contract holds
(scripts/capability_order.py reads it)."""

from __future__ import annotations

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

# Written in the change's own commit by the events' Firestore mapping (pyproject.toml's
# capability_order contract ignores the same two imports): to be handed in.
KNOWN: frozenset[Import] = frozenset(
    {
        (
            "infrastructure.firestore.accounts.users",
            "infrastructure.firestore.events.security_events",
        ),
        (
            "infrastructure.firestore.signin.sessions",
            "infrastructure.firestore.events.security_events",
        ),
    }
)


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return direct_imports(grimp.build_graph(*TOP_PACKAGES, cache_dir=None))


def test_the_order_is_pyprojects_from_accounts_up() -> None:
    ranks = capability_ranks()
    assert ranks["accounts"] == 0 and ranks["signin"] == 1
    assert ranks["sso"] == ranks["scim"] < ranks["provider"] == ranks["resources"]
    assert "services" not in ranks and "ports" not in ranks and "errors" not in ranks


def test_a_module_belongs_to_the_capability_its_path_names() -> None:
    ranks = capability_ranks()
    assert capability_of("interfaces.web.signin.security", ranks) == "signin"
    assert capability_of("infrastructure.firestore.orgs.membership_reads", ranks) == "orgs"
    assert capability_of("bootstrap.accounts", ranks) == "accounts"
    assert capability_of("application.sso.signin", ranks) == "sso"  # sso's, named signin
    assert capability_of("interfaces.web.browser", ranks) is None  # the web layer's kernel


def test_no_capability_imports_a_higher_one_in_any_layer(imports: list[Import]) -> None:
    upward = [found for found in upward_imports(imports, capability_ranks()) if found not in KNOWN]
    assert not upward, "imports of a higher capability:\n" + "\n".join(
        f"{importer} -> {imported}" for importer, imported in upward
    )


def test_the_known_exceptions_still_exist(imports: list[Import]) -> None:
    assert set(upward_imports(imports, capability_ranks())) >= KNOWN  # else: drop them


def test_the_capabilities_form_no_cycle(imports: list[Import]) -> None:
    kept = [found for found in imports if found not in KNOWN]
    cycles = capability_cycles(kept, capability_ranks())
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
