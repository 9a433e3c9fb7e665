"""Moving from the systems firegate replaces (docs/migrating.md)."""

from __future__ import annotations

from infrastructure.settings.group import SettingsGroup


class MigrationSettings(SettingsGroup):
    # Their routes, for their clients.
    compat_routes: bool = True
