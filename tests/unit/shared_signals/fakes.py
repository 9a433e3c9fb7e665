"""The shared signals unit's fakes (what ``adapters(settings)`` gives the app on the
fakes)."""

from __future__ import annotations

from bootstrap.shared_signals import SharedSignalsAdapters
from infrastructure.settings import Settings
from tests.unit.shared_signals.receiver_fakes import receiver_adapters


def adapters(settings: Settings) -> SharedSignalsAdapters:
    return SharedSignalsAdapters(
        receiver=receiver_adapters(settings),
    )
