"""Organizations (docs/reference/orgs.md): the DNS resolver that verifies an org's domains,
``host:port`` (empty: the machine's own, from /etc/resolv.conf); how long an invitation's link
is valid, in seconds."""

from __future__ import annotations

from pydantic import Field, field_validator

from infrastructure.settings.group import SettingsGroup


class OrgSettings(SettingsGroup):
    dns_resolver: str = ""
    org_invitation_ttl: int = Field(7 * 86_400, ge=60, le=30 * 86_400)

    @field_validator("dns_resolver")
    @classmethod
    def _host_port(cls, value: str) -> str:
        value = value.strip()
        if value:
            host, sep, port = value.rpartition(":")
            if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError("DNS_RESOLVER is host:port, such as 127.0.0.1:5353")
        return value
