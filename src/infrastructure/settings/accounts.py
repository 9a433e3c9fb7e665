"""Accounts: registration, the changes of a username or an address, whether signing in
needs a verified address, and the check of passwords against breached ones."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from infrastructure.settings.group import RequestLimit, SettingsGroup


class AccountSettings(SettingsGroup):
    rate_limit_register: RequestLimit = "10/minute,100/hour"
    # Attempted changes of username or e-mail address per account (count, seconds).
    identity_change_limit: int = Field(10, ge=1, le=1_000)
    identity_change_window: int = Field(3600, ge=60, le=86_400)
    require_verified_email: bool = False
    # Passwords seen in breaches (docs/security.md, "Breached passwords"): None is ``off``
    # in the local profile and ``block`` otherwise (Settings fills it in).
    breached_passwords: Literal["block", "warn", "off"] | None = None
    breached_passwords_min_count: int = Field(1, ge=1, le=1_000_000_000)
    breached_passwords_url: str = "https://api.pwnedpasswords.com"
