"""The agents unit's settings: the bound on the client metadata documents one client address
may name (docs/configuration.md), read with ``settings.group(AgentSettings)``
(bootstrap/agents.py)."""

from __future__ import annotations

from infrastructure.settings.group import RequestLimit, SettingsGroup


class AgentSettings(SettingsGroup):
    # Requests naming a client metadata document this process does not keep, per client
    # address: each may hold a thread for the fetch (docs/decisions/0591).
    rate_limit_oauth_client_documents: RequestLimit = "20/minute,200/hour"
