"""The org brand unit's settings, read with ``settings.group(OrgBrandSettings)``
(bootstrap/org_brand.py, docs/configuration.md)."""

from __future__ import annotations

import re

from pydantic import field_validator

from domain.dns_names import a_label
from infrastructure.settings.group import RequestLimit, SettingsGroup

_LABEL = r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?"
_NAME = re.compile(rf"{_LABEL}(\.{_LABEL})+")
_SELECTOR = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


class OrgBrandSettings(SettingsGroup):
    """What an org's brand, sender and sign-in host are checked against."""

    # The SPF include an org's sender's domain must name (``_spf.mail.example``); empty: no
    # org may send from its own address (docs/reference/org-sender.md).
    mail_spf_include: str = ""
    # The DKIM selector the operator's mail signs with: its key at {selector}._domainkey.
    mail_dkim_selector: str = "firegate"
    # POST /orgs/{org}/sender/verify and /orgs/{org}/sign-in-domain/verify per client
    # address: each is a few DNS lookups
    rate_limit_org_dns_checks: RequestLimit = "10/minute,100/hour"
    # What an org's sign-in host's CNAME points at: the operator's name for the service's
    # front end that serves every org host ("": orgs set no host of their own)
    org_host_target: str = ""

    @field_validator("mail_spf_include")
    @classmethod
    def _include(cls, value: str) -> str:
        value = value.strip().rstrip(".").lower()
        if value and (len(value) > 253 or not _NAME.fullmatch(value)):
            raise ValueError("MAIL_SPF_INCLUDE is a domain name, such as _spf.mail.example")
        return value

    @field_validator("mail_dkim_selector")
    @classmethod
    def _selector(cls, value: str) -> str:
        value = value.strip().lower()
        if not _SELECTOR.fullmatch(value):
            raise ValueError("MAIL_DKIM_SELECTOR is one DNS label, such as firegate")
        return value

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
