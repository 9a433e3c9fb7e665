"""The org brand unit's settings, read with ``settings.group(OrgBrandSettings)``
(bootstrap/org_brand.py, docs/configuration.md)."""

from __future__ import annotations

from infrastructure.settings.group import SettingsGroup


class OrgBrandSettings(SettingsGroup):
    """What an org's brand, sender and sign-in host are checked against."""
