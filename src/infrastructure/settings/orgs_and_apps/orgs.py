"""Organizations (docs/reference/orgs.md): the DNS resolver that verifies an org's domains,
``host:port`` (empty: the machine's own, from /etc/resolv.conf); how long an invitation's link
is valid, in seconds; the role an org's creator gets (``ORG_CREATOR_ROLE``: owner, admin,
member or the name of a role template; docs/decisions/0583-the-creators-role.md)."""

from __future__ import annotations

from pydantic import Field, field_validator

from domain.orgs.roles import is_role_name
from infrastructure.settings.group import SettingsGroup


class OrgSettings(SettingsGroup):
    dns_resolver: str = ""
    org_invitation_ttl: int = Field(7 * 86_400, ge=60, le=30 * 86_400)
    org_creator_role: str = "owner"

    @field_validator("org_creator_role")
    @classmethod
    def _role_name(cls, value: str) -> str:
        value = value.strip()
        if not is_role_name(value):
            raise ValueError(
                "ORG_CREATOR_ROLE is owner, admin, member or a role template's name "
                "(1 to 40 of a-z, 0-9 and '_:.-')"
            )
        return value

    @field_validator("dns_resolver")
    @classmethod
    def _host_port(cls, value: str) -> str:
        value = value.strip()
        if value:
            host, sep, port = value.rpartition(":")
            if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError("DNS_RESOLVER is host:port, such as 127.0.0.1:5353")
        return value
