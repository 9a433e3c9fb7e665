"""Accounts: registration, the changes of a username or an address, whether signing in
needs a verified address, and the profile schema's file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from domain.accounts.attributes import ProfileSchema
from domain.errors import InvalidInput
from infrastructure.settings.group import RequestLimit, SettingsGroup


def load_profile_schema(path: str) -> dict[str, Any]:
    """The document of a ``PROFILE_SCHEMA`` file, checked as a profile schema; ValueError
    naming what is wrong (read at start-up: a bad file stops the service from starting)."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        ProfileSchema.parse(document)
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
    # A JSON Schema file of the profile's attributes; empty: the one admins store, if any.
    profile_schema: Annotated[str, AfterValidator(_profile_schema)] = ""
