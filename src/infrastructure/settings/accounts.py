"""Accounts: registration, the changes of a username or an address, and whether signing in
needs a verified address."""

from __future__ import annotations

from pydantic import Field

from infrastructure.settings.group import RequestLimit, SettingsGroup


class AccountSettings(SettingsGroup):
    rate_limit_register: RequestLimit = "10/minute,100/hour"
    # Attempted changes of username or e-mail address per account (count, seconds).
    identity_change_limit: int = Field(10, ge=1, le=1_000)
    identity_change_window: int = Field(3600, ge=60, le=86_400)
    require_verified_email: bool = False
