"""What ``scripts/remove_unit.py`` took out of the copy of the tree these tests run in (its
``TAKEN_OUT`` environment variable, JSON): the unit's paths, its routes, its settings'
variables, the Firestore collections its adapters read and wrote and its hook kinds, read
from the whole tree before the unit was deleted; and what the service served and ran with it
and no longer does without it (its pages' routes, its sweeps). The docs, the index
configuration and the deploy recipe may still name them (a unit is taken out for a proof, its
docs stay): the tests of the docs, the indexes and the recipe leave exactly these aside. Its
pages' and mails' strings need no such leave: they are in its own catalogue, which goes with
its folders (scripts/catalogues.py). Unset (every other run), nothing is taken out and they
hold everything."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class TakenOut:
    paths: tuple[str, ...] = ()  # relative to the repository's root
    routes: frozenset[tuple[str, str]] = frozenset()  # (METHOD, /path/{as}/documented)
    variables: frozenset[str] = frozenset()  # DOG_API_URL, ...
    collections: frozenset[str] = frozenset()
    hook_kinds: frozenset[str] = frozenset()  # send_sms, ...
    # What it added at run time: its routes as Flask rules, its pages' too (METHOD, rule),
    # and the two-region recipe's sweeps that only it runs
    rules: frozenset[tuple[str, str]] = frozenset()
    sweeps: frozenset[str] = frozenset()

    def holds(self, path: str) -> bool:
        """Whether ``path`` (relative to the root) was one of the unit's, or inside one."""
        return any(
            path == taken or path.startswith(taken.rstrip("/") + "/") for taken in self.paths
        )


def taken_out() -> TakenOut:
    raw = os.environ.get("TAKEN_OUT", "")
    if not raw:
        return TakenOut()
    found = json.loads(raw)
    return TakenOut(
        paths=tuple(found["paths"]),
        routes=frozenset((method, path) for method, path in found["routes"]),
        variables=frozenset(found["variables"]),
        collections=frozenset(found["collections"]),
        hook_kinds=frozenset(found.get("hook_kinds", ())),
        rules=frozenset((method, rule) for method, rule in found.get("rules", ())),
        sweeps=frozenset(found.get("sweeps", ())),
    )
