"""The guests unit's settings: ``GUEST_ACCOUNTS``, whether ``POST /auth/guest`` makes guests
(docs/configuration.md), read with ``settings.group(GuestSettings)`` (bootstrap/guests.py).
How long a guest unused lives (``GUEST_TTL``) is the accounts', which keep every guest's
expiry, whichever way made it (docs/decisions/0760-the-guest-way-in-is-a-unit.md)."""

from __future__ import annotations

from infrastructure.settings.group import SettingsGroup


class GuestSettings(SettingsGroup):
    # POST /auth/guest on (docs/guests.md); off, it answers 404 guests_disabled.
    guest_accounts: bool = False
