"""Migration's part of the JSON API's configuration (``API_CONFIGURED``, bootstrap/driving.py):
whether the replaced systems' routes are served (COMPAT_ROUTES, docs/migrating.md)."""

from __future__ import annotations

from dataclasses import replace

from infrastructure.settings import Settings
from infrastructure.settings.orgs_and_apps.migration import MigrationSettings
from interfaces.http.app import HttpConfig


def compat_routes(settings: Settings, config: HttpConfig) -> HttpConfig:
    """The API's configuration with the replaced systems' routes, if COMPAT_ROUTES."""
    return replace(config, compat_routes=settings.group(MigrationSettings).compat_routes)
