"""Accounts: registration, the changes of a username or an address, whether signing in
needs a verified address, the challenge asked when a signal fires, the check of passwords
against breached ones (docs/security.md), and the profile schema's file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, SecretStr, model_validator

from domain.accounts.attributes import ProfileSchema
from domain.errors import InvalidInput
from infrastructure.re2_patterns import re2_matcher
from infrastructure.settings.group import Composition, Origins, RequestLimit, SettingsGroup


def load_profile_schema(path: str) -> dict[str, Any]:
    """The document of a ``PROFILE_SCHEMA`` file, checked as a profile schema; ValueError
    naming what is wrong (read at start-up: a bad file stops the service from starting)."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        ProfileSchema.parse(document, patterns=re2_matcher)
    except OSError as exc:
        raise ValueError(f"PROFILE_SCHEMA cannot be read: {exc}") from None
    except ValueError as exc:
        raise ValueError(f"PROFILE_SCHEMA is not JSON: {exc}") from None
    except InvalidInput as exc:
        where = exc.errors[0].field if exc.errors else ""
        raise ValueError(f"PROFILE_SCHEMA: {where}: {exc.detail}") from None
    checked: dict[str, Any] = document
    return checked


def _profile_schema(path: str) -> str:
    if path:
        load_profile_schema(path)
    return path


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
    # How long a guest unused lives, in seconds (docs/guests.md; at least a day: its use is
    # written down at most once a day). GUEST_ACCOUNTS is the guests unit's.
    guest_ttl: int = Field(30 * 86_400, ge=86_400, le=3650 * 86_400)

    # A challenge only when a signal fires (docs/security.md, "A challenge on signals").
    challenge_provider: Literal["turnstile", "recaptcha_enterprise", "none"] = "none"
    challenge_site_key: str = ""
    challenge_secret: SecretStr | None = None  # Turnstile's secret; reCAPTCHA's API key
    challenge_verify_url: str = ""  # empty: the provider's own
    challenge_script_url: str = ""  # empty: the provider's widget script
    challenge_fail: Literal["open", "closed"] = "open"
    # With CHALLENGE_FAIL=open, what an outage of the verifier lets through per client
    # address an hour; past it, refused as with closed.
    challenge_fail_open_per_hour: int = Field(5, ge=1, le=100_000)
    challenge_min_score: float = Field(0.5, ge=0.0, le=1.0)  # reCAPTCHA's score to pass
    challenge_failures_per_hour: int = Field(20, ge=1, le=100_000)
    challenge_signups_per_hour: int = Field(5, ge=1, le=100_000)
    challenge_email_codes_per_hour: int = Field(10, ge=1, le=100_000)

    @model_validator(mode="after")
    def _check_challenge(self) -> AccountSettings:
        if self.challenge_provider != "none" and not (
            self.challenge_site_key and self.challenge_secret
        ):
            raise ValueError("CHALLENGE_PROVIDER needs CHALLENGE_SITE_KEY and CHALLENGE_SECRET")
        for name in ("challenge_verify_url", "challenge_script_url"):
            url = getattr(self, name)
            if url and not url.startswith(("https://", "http://")):
                raise ValueError(f"{name.upper()} must be an http(s) URL")
        return self

    # Passwords seen in breaches (docs/security.md, "Breached passwords"): None is ``off``
    # in the local profile and ``block`` otherwise (``fill_in``).
    breached_passwords: Literal["block", "warn", "off"] | None = None
    breached_passwords_min_count: int = Field(1, ge=1, le=1_000_000_000)
    breached_passwords_url: str = "https://api.pwnedpasswords.com"
    # What the ranges kept per process may take, in bytes (0: none kept).
    breached_passwords_cache_bytes: int = Field(4 * 1024 * 1024, ge=0, le=1024**3)

    # The password hash (docs/configuration.md, "Password hashing"): the accounts' hasher's,
    # which signing in uses.
    argon2_time_cost: int = Field(2, ge=2)
    argon2_memory_kib: int = Field(19_456, ge=19_456)
    argon2_parallelism: int = Field(1, ge=1)
    hash_concurrency: int = Field(2, ge=1, le=64)

    # A JSON Schema file of the profile's attributes; empty: the one admins store, if any.
    profile_schema: Annotated[str, AfterValidator(_profile_schema)] = ""

    def fill_in(self, settings: Composition) -> None:
        """No breached-password check in the local profile unless asked for."""
        if self.breached_passwords is None:
            local = settings.service.app_profile == "local"
            self.breached_passwords = "off" if local else "block"
