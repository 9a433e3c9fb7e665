"""An org's page's navigation (interfaces/web/orgs/org.py, templates/orgs/org.html): the links
of the sections the units put on the page (``ORG_SECTIONS``), in their places, each with the
title its section brings and only for those its permission lets see it; a unit's section
needs no change to the core's template or catalogue."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[3]

# The tests' unit's app in a process of its own: the pages' parts are the process's
# (interfaces/web/__init__.py, ``_fold_once``)
NAVIGATIONS = """
import json
from tests.support.org_sections import navigations

print(json.dumps(navigations()))
"""

ACME = "/account/orgs/acme"
# The core's sections and the tests' unit's, in the navigation's order (the other units'
# between them, each but in a copy that takes its unit out)
OURS = ["", "members", "roles", "notes", "invitations", "domains", "events"]


@pytest.fixture(scope="module")
def seen() -> dict[str, list[list[str]]]:
    result = subprocess.run(
        [sys.executable, "-c", NAVIGATIONS], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    found: dict[str, list[list[str]]] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


def _ours(links: list[list[str]]) -> list[str]:
    """The addresses of the core's sections and the tests' unit's, in the order shown."""
    return [href for href, _, _ in links if href in _addresses(*OURS)]


def _addresses(*names: str) -> list[str]:
    return [ACME + (f"/{name}" if name else "") for name in names]


def test_a_units_section_is_linked_in_its_place_with_its_own_title(
    seen: dict[str, list[list[str]]],
) -> None:
    owner = seen[f"olga {ACME}"]
    assert _ours(owner) == _addresses(*OURS)
    at = [href for href, _, _ in owner].index(f"{ACME}/notes")
    assert owner[at - 1 : at + 2] == [  # between the roles' and the invitations', at 35
        [f"{ACME}/roles", "Roles", ""],
        [f"{ACME}/notes", "Notes", ""],
        [f"{ACME}/invitations", "Invitations", ""],
    ]
    assert owner[0] == [ACME, "Settings", "current"]
    assert owner[-1] == ["/account/orgs", "Your organizations", ""]


def test_the_units_section_is_the_current_link_on_its_own_page(
    seen: dict[str, list[list[str]]],
) -> None:
    current = [href for href, _, now in seen[f"olga {ACME}/notes"] if now]
    assert current == [f"{ACME}/notes"]


def test_only_those_its_permission_allows_see_its_link(seen: dict[str, list[list[str]]]) -> None:
    assert _ours(seen[f"ada {ACME}"]) == _addresses(*OURS)  # an admin manages members
    member = _ours(seen[f"mia {ACME}"])
    assert member == _addresses("", "members", "roles")
    assert f"{ACME}/notes" not in _ours(seen[f"mia {ACME}/notes"])
