"""Accounts: registration, the changes of a username or an address, and whether signing in
needs a verified address."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from infrastructure.settings.group import Origins, RequestLimit, SettingsGroup


class AccountSettings(SettingsGroup):
    rate_limit_register: RequestLimit = "10/minute,100/hour"
    # Attempted changes of username or e-mail address per account (count, seconds).
    identity_change_limit: int = Field(10, ge=1, le=1_000)
    identity_change_window: int = Field(3600, ge=60, le=86_400)
    require_verified_email: bool = False
    # Who may make their own account (docs/security.md, "Who may sign up").
    signup_mode: Literal["open", "invite_only", "closed"] = "open"
    signup_domains_allow: Origins = []
    signup_domains_block: Origins = []
    signup_block_disposable: bool = False
