"""Signing in with another identity provider: Firebase's ID tokens and the upstream providers
(docs/reference/providers.md)."""

from __future__ import annotations

import json
from typing import Annotated

from pydantic import field_validator
from pydantic_settings import NoDecode

from infrastructure.settings.group import RequestLimit, SettingsGroup


class FederationSettings(SettingsGroup):
    # POST /auth/firebase, and POST /auth/firebase/custom-token as much again.
    rate_limit_firebase: RequestLimit = "30/minute,300/hour"
    # Upstream providers of the local profile, beside those added with the CLI: a JSON list of
    # objects with the CLI's fields.
    upstream_providers: Annotated[list[dict[str, str]], NoDecode] = []

    @field_validator("upstream_providers", mode="before")
    @classmethod
    def _read_providers(cls, value: object) -> object:
        # Empty is none, as for the comma-separated lists; anything else is JSON, said so when
        # it is not.
        if not isinstance(value, str):
            return value
        if not value.strip():
            return []
        try:
            return json.loads(value)
        except ValueError as exc:
            raise ValueError(f"UPSTREAM_PROVIDERS must be a JSON list of objects: {exc}") from exc

    def production_problems(self) -> list[str]:
        if not self.upstream_providers:
            return []
        return [
            "UPSTREAM_PROVIDERS is for the local profile: add providers with "
            "`providers add` (docs/reference/providers.md)"
        ]
