"""The log streams unit's settings, read with ``settings.group(LogStreamsSettings)``
(bootstrap/log_streams.py, docs/configuration.md)."""

from __future__ import annotations

from infrastructure.settings.group import RequestLimit, SettingsGroup


class LogStreamsSettings(SettingsGroup):
    # POST /orgs/{org}/log-streams/{id}/test per client address: each sends an event to the
    # org's own destination at once, outside the stream's delivery
    rate_limit_log_stream_tests: RequestLimit = "10/minute,60/hour"
