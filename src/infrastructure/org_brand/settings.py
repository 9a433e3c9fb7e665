"""The org brand unit's settings, read with ``settings.group(OrgBrandSettings)``
(bootstrap/org_brand.py, docs/configuration.md)."""

from __future__ import annotations

from pydantic import field_validator

from domain.dns_names import a_label
from infrastructure.settings.group import RequestLimit, SettingsGroup


class OrgBrandSettings(SettingsGroup):
    """What an org's brand, sender and sign-in host are checked against."""

    # What an org's sign-in host's CNAME points at: the operator's name for the service's
    # front end that serves every org host ("": orgs set no host of their own)
    org_host_target: str = ""
    # POST /orgs/{org}/sign-in-domain/verify per client address: each is DNS lookups
    rate_limit_org_dns_checks: RequestLimit = "10/minute"

    @field_validator("org_host_target")
    @classmethod
    def _host(cls, value: str) -> str:
        text = value.strip().rstrip(".")
        if not text:
            return ""
        name = a_label(text)
        if name is None or "." not in name or "/" in name or ":" in name:
            raise ValueError("ORG_HOST_TARGET is a DNS name, such as hosts.firegate.example")
        return name
