"""An org's own sign-in host: the name as given made one canonical form, the records that
prove the org points it at the service, and the check of what DNS answers
(docs/reference/org-sign-in-domain.md,
docs/decisions/0895-an-orgs-sign-in-host-and-its-records.md).

A host is a subdomain of one of the org's verified domains (never the domain itself: a CNAME
cannot sit at a zone's apex), in the A-labels DNS carries (``a_label``). Two records prove it:
a CNAME of the host to the operator's ``ORG_HOST_TARGET``, which sends its requests here, and
a TXT record at ``_firegate-host.{host}`` with the host's token, which proves the org put it
there (a CNAME alone is what anyone who reads the operator's docs could publish).
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from domain.dns_names import a_label
from domain.errors import Conflict, InvalidInput, NotFound

NAME_MAX = 253  # octets of a whole name, without the trailing dot (RFC 1035 2.3.4)
LABEL_MAX = 63
TOKEN_BYTES = 24  # 192 bits: 32 URL-safe characters
TXT_LABEL = "_firegate-host"  # the TXT record's own name: _firegate-host.<host>
TXT_PREFIX = "firegate-host-verification="
# A host's label: letters, digits and hyphens, neither first nor last a hyphen (RFC 1123 2.1)
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")

INVALID_HOST = "invalid_host"
HOST_NOT_ON_VERIFIED_DOMAIN = "host_not_on_verified_domain"
HOST_RESERVED = "host_reserved"
HOST_TAKEN = "host_taken"
SIGN_IN_DOMAIN_NOT_FOUND = "sign_in_domain_not_found"
SIGN_IN_DOMAIN_ACTIVE = "sign_in_domain_active"
SIGN_IN_DOMAIN_NOT_VERIFIED = "sign_in_domain_not_verified"
SIGN_IN_DOMAINS_OFF = "sign_in_domains_off"
MISDIRECTED_REQUEST = "misdirected_request"


class HostStatus(StrEnum):
    PENDING = "pending"  # set; its records not yet seen in DNS
    ACTIVE = "active"  # its records were seen: requests to it are served as the org's


def _invalid(message: str) -> InvalidInput:
    return InvalidInput.field("host", message, INVALID_HOST)


def host_name(value: object) -> str:
    """The host as stored and compared: IDNA 2008 A-labels (``a_label``: upper case and
    full-width forms fold), no trailing dot, at least three labels of letters, digits and
    inner hyphens, at most 253 octets; never an IP address, a wildcard or a port. 422
    ``invalid_host`` else."""
    if not isinstance(value, str) or not value.strip():
        raise _invalid("A sign-in host is a name such as login.example.com.")
    text = value.strip()
    text = text[:-1] if text.endswith(".") else text
    if "*" in text:
        raise _invalid("A wildcard is not a host: give the host itself, such as login.example.com.")
    if _is_ip_address(text):
        raise _invalid("An IP address is not a sign-in host.")
    name = a_label(text)
    if name is None:
        raise _invalid("This is not a valid host name.")
    labels = name.split(".")
    if len(name) > NAME_MAX or not all(_LABEL.fullmatch(label) for label in labels):
        raise _invalid(
            f"A host's labels are 1 to {LABEL_MAX} letters, digits or inner hyphens, the "
            f"whole at most {NAME_MAX} characters (no port, no path)."
        )
    if len(labels) < 3 or labels[-1].isdigit():
        raise _invalid("A sign-in host is a name under a domain, such as login.example.com.")
    return name


def _is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def under(host: str, domains: Iterable[str]) -> str | None:
    """The verified domain ``host`` is a subdomain of (strictly below it), the longest if
    several; None if none."""
    found = [domain for domain in domains if host.endswith("." + domain)]
    return max(found, key=len) if found else None


def not_on_verified_domain(host: str) -> InvalidInput:
    return InvalidInput.field(
        "host",
        f"{host} is not under one of the organization's verified domains: verify its domain "
        "first (a host is a name below it, such as login.example.com for example.com).",
        HOST_NOT_ON_VERIFIED_DOMAIN,
    )


def reserved(host: str) -> InvalidInput:
    return InvalidInput.field(
        "host", f"{host} is the service's own host, not an organization's.", HOST_RESERVED
    )


def host_taken() -> Conflict:
    return Conflict(
        "Another organization has set this host as its sign-in domain.",
        code=HOST_TAKEN,
        field="host",
    )


def no_sign_in_domain() -> NotFound:
    return NotFound("The organization has no sign-in domain.", code=SIGN_IN_DOMAIN_NOT_FOUND)


def sign_in_domains_off() -> NotFound:
    return NotFound(
        "Organizations' own sign-in domains are off here (ORG_HOST_TARGET is not set).",
        code=SIGN_IN_DOMAINS_OFF,
    )


def active_already(host: str) -> Conflict:
    return Conflict(
        f"The organization's sign-in domain {host} is active: remove it first "
        "(DELETE /orgs/{org}/sign-in-domain), then set the new one.",
        code=SIGN_IN_DOMAIN_ACTIVE,
        field="host",
    )


def new_host_token() -> str:
    """The random part of a host's TXT record: URL-safe, so it survives any DNS console."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def dns_name(name: str) -> str:
    """A name as a CNAME answers it, compared: lower case, no trailing dot."""
    name = name.strip().lower()
    return name[:-1] if name.endswith(".") else name


@dataclass(frozen=True)
class SignInHost:
    """An org's sign-in host: ``pending`` until its records are seen, then ``active``.
    ``checked_at``: when DNS last proved its records (set on verifying and on each daily
    re-check that found them)."""

    org_id: str
    host: str
    token: str
    status: HostStatus
    created_at: datetime
    created_by: str
    verified_at: datetime | None = None
    checked_at: datetime | None = None

    @classmethod
    def create(cls, org_id: str, host: str, created_by: str, now: datetime) -> SignInHost:
        return cls(org_id, host, new_host_token(), HostStatus.PENDING, now, created_by)

    @property
    def active(self) -> bool:
        return self.status is HostStatus.ACTIVE

    @property
    def txt_name(self) -> str:
        return f"{TXT_LABEL}.{self.host}"

    @property
    def txt_value(self) -> str:
        return TXT_PREFIX + self.token

    @property
    def origin(self) -> str:
        return f"https://{self.host}"

    def activated(self, now: datetime) -> SignInHost:
        return replace(self, status=HostStatus.ACTIVE, verified_at=now, checked_at=now)

    def checked(self, now: datetime) -> SignInHost:
        """Its records seen again (the daily re-check)."""
        return replace(self, checked_at=now)

    def lapsed(self) -> SignInHost:
        """Back to pending: its records must be seen again before it serves again."""
        return replace(self, status=HostStatus.PENDING, verified_at=None)

    def missing(self, cname: str | None, txt: Sequence[str], target: str) -> tuple[str, ...]:
        """What DNS does not show of the host's records: ``CNAME`` (``cname``: the name the
        host's CNAME points at, None without one) unless it points at ``target``, ``TXT``
        unless one of ``txt`` (each joined) is exactly the host's record."""
        absent: list[str] = []
        if cname is None or dns_name(cname) != dns_name(target):
            absent.append("CNAME")
        expected = self.txt_value.encode()
        if not any(secrets.compare_digest(record.encode(), expected) for record in txt):
            absent.append("TXT")
        return tuple(absent)


def not_verified(host: SignInHost, missing: Sequence[str], target: str) -> Conflict:
    """409 naming each record DNS does not show."""
    said = []
    if "CNAME" in missing:
        said.append(f"no CNAME of {host.host} to {target}")
    if "TXT" in missing:
        said.append(f"no TXT record {host.txt_value!r} at {host.txt_name}")
    if "domain" in missing:
        said.append(f"no verified domain of the organization above {host.host}")
    text = " and ".join(said)
    return Conflict(
        text[:1].upper() + text[1:] + " was found. DNS changes can take a while to show: "
        "try again later.",
        code=SIGN_IN_DOMAIN_NOT_VERIFIED,
    )
