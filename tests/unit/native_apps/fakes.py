"""The native apps unit's fakes (what ``adapters(settings)`` gives the app on the fakes): its
adapters are in memory already (the apps as the process read them); the clients are the
core's fakes'."""

from __future__ import annotations

from bootstrap.native_apps import NativeAppsAdapters
from infrastructure.settings import Settings


def adapters(_settings: Settings) -> NativeAppsAdapters:
    return NativeAppsAdapters()
