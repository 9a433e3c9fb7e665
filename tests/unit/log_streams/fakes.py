"""The log streams unit's fakes (what ``adapters(settings)`` gives the app on the fakes)."""

from __future__ import annotations

from infrastructure.settings import Settings


def adapters(_settings: Settings) -> None:
    return None
