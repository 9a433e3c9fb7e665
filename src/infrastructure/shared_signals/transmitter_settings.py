"""The SSF transmitter's settings, read with ``settings.group(SsfTransmitterSettings)``
(bootstrap/shared_signals.py, docs/configuration.md)."""

from __future__ import annotations

from infrastructure.settings.group import RequestLimit, SettingsGroup


class SsfTransmitterSettings(SettingsGroup):
    # POST /ssf/streams/verify per client address: each signs a verification SET and sends
    # it to the receiver's endpoint (a push stream) at once
    rate_limit_ssf_verify: RequestLimit = "10/minute,60/hour"
