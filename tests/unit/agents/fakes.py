"""The agents unit's fakes: it has no adapters of its own (its org policy is kept on the
org, through the orgs' repository the kernel hands it;
docs/decisions/0770-what-the-agents-unit-is.md)."""

from __future__ import annotations

from infrastructure.settings import Settings


def adapters(_settings: Settings) -> None:
    """The unit's adapters on fakes (tests/support/app.py makes every unit's): none."""
