"""The guests unit's fakes: none, as it has no adapters of its own (a guest is an account, kept
by the accounts' repository: tests/fakes/accounts.py)."""

from __future__ import annotations

from infrastructure.settings import Settings


def adapters(_settings: Settings) -> None:
    return None
