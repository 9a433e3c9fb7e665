"""The hooks (docs/reference/auth-hooks.md): how long each process reuses the list of their
endpoints, in seconds, the webhooks' too (WEBHOOK_CACHE_TTL): the events, above the hooks,
read it here."""

from __future__ import annotations

from pydantic import Field

from infrastructure.settings.group import SettingsGroup


class HookSettings(SettingsGroup):
    webhook_cache_ttl: float = Field(5.0, ge=0, le=300)
