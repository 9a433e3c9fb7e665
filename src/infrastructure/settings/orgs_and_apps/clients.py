"""The OAuth clients and API resources (docs/reference/oauth.md): how long each process
reuses a client or the resources' catalogue it read, in seconds (OAUTH_CLIENT_CACHE_TTL; the
provider, above the clients, reads it here)."""

from __future__ import annotations

from pydantic import Field

from infrastructure.settings.group import SettingsGroup


class ClientSettings(SettingsGroup):
    oauth_client_cache_ttl: float = Field(5.0, ge=0, le=60)
