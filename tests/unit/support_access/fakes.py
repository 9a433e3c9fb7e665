"""The support access unit's fakes: it has no adapters of its own (its sessions are
sign-in's, its orgs the orgs', each on their own fakes)."""

from __future__ import annotations

from infrastructure.settings import Settings


def adapters(_settings: Settings) -> None:
    return None
