"""The units the docs describe and those this tree runs (docs/contributing.md, "Units").

A unit taken out (``scripts/remove_unit.py``, on a copy of the tree) leaves its pages, its
rows and its Firestore configuration behind until whoever removes it for good edits them; the
checks of the docs and of that configuration pass over what belongs to a unit the docs name
but the tree no longer runs. With every unit in, which is the suite's case, nothing is passed
over: ``absent_units()`` is empty."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from scripts.units_contract import unit_names

from tests.support.taken_out import taken_out

ROOT = Path(__file__).resolve().parents[2]
CONTRIBUTING = ROOT / "docs" / "contributing.md"
_UNITS_TODAY = re.compile(r"The units today: ((?:`[a-z_]+`(?:, )?)+)\.")
LAYERS = ("domain", "application", "infrastructure", "interfaces")


def documented_units() -> tuple[str, ...]:
    """The units docs/contributing.md lists ("The units today: `tasks`, ...")."""
    found = _UNITS_TODAY.search(CONTRIBUTING.read_text(encoding="utf-8"))
    assert found is not None, "docs/contributing.md lists no units"
    return tuple(re.findall(r"`([a-z_]+)`", found.group(1)))


@cache
def absent_units() -> frozenset[str]:
    """The units the docs name that this tree does not run (taken out on a copy)."""
    return frozenset(documented_units()) - frozenset(unit_names())


def of_absent_unit(path: str) -> bool:
    """Whether the repository path is one of an absent unit's, by scripts/remove_unit.py's
    rule: a module or folder named by it in a layer of src/, its bootstrap module, its tests."""
    parts = Path(path).parts
    for name in absent_units():
        in_layer = parts[:1] == ("src",) and parts[1:2] != ("bootstrap",)
        if in_layer and any(part in (name, f"{name}.py") for part in parts[2:]):
            return True
        if path == f"src/bootstrap/{name}.py" or path.startswith(
            (f"tests/unit/{name}/", f"tests/e2e/{name}/")
        ):
            return True
    return False


def of_absent_route(path: str) -> bool:
    """Whether a route's path is under an absent unit's name (``/datasets/{id}``)."""
    first = path.strip("/").split("/")[0]
    return first in absent_units()


def of_absent_unit_rule(rule: str) -> bool:
    """Whether a Flask rule (``/orgs/<org>/agent-policy``) is an absent unit's: one of the
    JSON API routes it took out or of its pages' (tests/support/taken_out.py), or an address
    with a segment named by it (``/account/orgs/<org>/agents``)."""
    documented = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)
    if any(path == documented for _method, path in taken_out().routes):
        return True
    if any(rule == served for _method, served in taken_out().rules):
        return True  # a page's route of it (the org brand's /account/orgs/<org>/brand)
    return any(segment in absent_units() for segment in rule.strip("/").split("/"))
