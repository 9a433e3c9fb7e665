"""The shared signals unit's fakes (what ``adapters(settings)`` gives the app on the
fakes)."""

from __future__ import annotations

from bootstrap.shared_signals import SharedSignalsAdapters
from infrastructure.settings import Settings


def adapters(_settings: Settings) -> SharedSignalsAdapters:
    return SharedSignalsAdapters()
