"""Webhooks (docs/reference/webhooks.md): the first retry's delay (the later ones are multiples
of it) and how long a delivery is retried, in seconds; an attempt's deadline; the sweeper's
period (0: none). How long the list of endpoints is reused is the hooks' (identity/hooks.py),
below the events, which read it too. Their queue is the jobs' (platform/jobs.py)."""

from __future__ import annotations

from pydantic import Field

from infrastructure.settings.group import SettingsGroup


class EventsSettings(SettingsGroup):
    webhook_retry_first: float = Field(5.0, ge=0.01, le=60)
    webhook_retry_window: float = Field(86_400.0, ge=1, le=7 * 86_400)
    webhook_timeout: float = Field(5.0, gt=0, le=30)
    webhook_sweep_interval: float = Field(20.0, ge=0, le=3600)
