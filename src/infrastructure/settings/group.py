"""What the settings groups share: the base of each group, the types several of them use, and
the one form of a configuration problem (docs/configuration.md)."""

from __future__ import annotations

from typing import Annotated, Protocol

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationInfo
from pydantic_settings import NoDecode

from domain.request_limits import parse_limits


class SettingsGroup(BaseModel):
    """One capability's settings. A field's name is its environment variable's, lower-cased:
    the composition (``infrastructure.settings.Settings``) reads them for it, once
    (``settings.group(Group)``)."""

    # Validated only when read: none of its own is built at import, on a worker's start
    # (docs/benchmarks.md, "Cold start").
    model_config = ConfigDict(extra="forbid", defer_build=True)

    def production_problems(self) -> list[str]:
        """What the production profile refuses of these values; none unless a group says."""
        return []

    def problems_beside(self, settings: Composition) -> list[str]:
        """What this group refuses of its values beside the other settings (the service's,
        ``settings.service``, and another group's, ``settings.group(Other)``), in any
        profile: a setting that asks for another's; none unless a group says."""
        return []

    def fill_in(self, settings: Composition) -> None:
        """What this group's unset values become beside the other settings (a development
        key outside production, a default that follows the service's address), once none of
        its problems is found; nothing unless a group says."""


class Service(Protocol):
    """What a group reads of the service's own settings (``ServiceSettings``)."""

    @property
    def app_profile(self) -> str: ...

    @property
    def port(self) -> int: ...

    @property
    def public_url(self) -> str: ...


class Composition(Protocol):
    """What a group reads beside its own values: the service's settings, and another group
    by its type, one of a capability below its own (``infrastructure.settings.Settings``)."""

    @property
    def service(self) -> Service: ...

    def group[G: SettingsGroup](self, group: type[G]) -> G: ...


def invalid_configuration(problems: list[str]) -> ValueError:
    """Every problem found, in one message (gunicorn's master prints it alone)."""
    return ValueError("invalid configuration:\n  - " + "\n  - ".join(problems))


def _comma_separated(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def _request_limit(value: str, info: ValidationInfo) -> str:
    try:
        if value.strip():  # empty: no limit on that route
            parse_limits(value)
    except ValueError:
        name = (info.field_name or "").upper()
        raise ValueError(
            f"{name} must look like '20/minute' or '10/minute,100/hour', not {value!r}"
        ) from None
    return value


Origins = Annotated[list[str], NoDecode, BeforeValidator(_comma_separated)]
"""Comma-separated origins (CORS_ORIGINS, WEBAUTHN_ORIGINS) or domains
(SIGNUP_DOMAINS_ALLOW, SIGNUP_DOMAINS_BLOCK); empty: none."""

RequestLimit = Annotated[str, AfterValidator(_request_limit)]
"""A RATE_LIMIT_* of one entry point, per client address
(docs/security.md#per-address-request-limits): '10/minute,100/hour'; empty: no limit."""
