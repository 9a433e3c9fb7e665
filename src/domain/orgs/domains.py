"""An org's verified domains: the name as given made one canonical form, the TXT record that
proves control of it, and the check of what DNS answers (docs/reference/orgs.md, "Verified
domains"; docs/decisions/0368-domain-verification-record.md).

Names are compared, stored and looked up in their ASCII form (IDNA 2008 A-labels, lower
case): ``Bücher.Example.`` and ``xn--bcher-kva.example`` are one domain. The ``idna`` package
is the one library here: a pure codec (tables, no I/O) where Python's own ``idna`` codec is
IDNA 2003, which maps ``ß`` to ``ss`` and so names a different domain.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

import idna

from domain.accounts.credentials import look_alike_key
from domain.errors import Conflict, InvalidInput, NotFound

NAME_MAX = 253  # octets of a whole name, without the trailing dot (RFC 1035 2.3.4)
LABEL_MAX = 63
TOKEN_BYTES = 24  # 192 bits: 32 URL-safe characters
RECORD_PREFIX = "firegate-verification="
CHALLENGE_LABEL = "_firegate"  # the record's own name: _firegate.<domain>


class DomainStatus(StrEnum):
    PENDING = "pending"  # added; its record not yet seen in DNS
    VERIFIED = "verified"  # its record was seen, and the org holds the domain's claim


def _invalid(message: str) -> InvalidInput:
    return InvalidInput.field("domain", message, "invalid_domain")


def domain_name(value: object) -> str:
    """The domain as stored and looked up: IDNA 2008 (UTS 46 mapping, so upper case and
    full-width forms fold), lower case, no trailing dot, at least two labels of 1-63 octets,
    at most 253 in all; never an IP address or a wildcard. 422 ``invalid_domain`` else."""
    if not isinstance(value, str) or not value.strip():
        raise _invalid("A domain is a name such as example.com.")
    text = value.strip()
    text = text[:-1] if text.endswith(".") else text
    if text.startswith("*"):
        raise _invalid("A wildcard is not a domain: give the domain itself, such as example.com.")
    if _is_ip_address(text):
        raise _invalid("An IP address is not a domain.")
    try:
        name = idna.encode(text, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError, ValueError):
        raise _invalid("This is not a valid domain name.") from None
    labels = name.split(".")
    if len(labels) < 2:
        raise _invalid("A domain has at least two labels, such as example.com.")
    if any(not 1 <= len(label) <= LABEL_MAX for label in labels) or len(name) > NAME_MAX:
        raise _invalid(
            f"A domain's labels are 1 to {LABEL_MAX} characters, the whole at most {NAME_MAX}."
        )
    if labels[-1].isdigit():  # no top-level domain is numeric: an IPv4 address in parts
        raise _invalid("An IP address is not a domain.")
    return name


def domain_look_alike(domain: str) -> str:
    """What domains that read alike share (a domain as ``domain_name`` makes it): the UTS #39
    skeleton of its Unicode form, case-folded, so ``glaß-x.net`` (``xn--gla-x-nqa.net``),
    ``glass-x.net``, ``gIass-x.net`` and ``g1ass-x.net`` share one. A look-alike of another
    org's domain is verified when DNS proves it, and named to both orgs
    (docs/decisions/0641-look-alike-domains-are-named-never-refused.md)."""
    try:
        text = idna.decode(domain)
    except (idna.IDNAError, UnicodeError, ValueError):
        text = domain
    return look_alike_key(text)


def _is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def new_verification_token() -> str:
    """The random part of a domain's TXT record: URL-safe, so it survives any DNS console."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def record_value(token: str) -> str:
    return RECORD_PREFIX + token


def challenge_name(domain: str) -> str:
    """Where the record goes first: a name of its own, so the domain's own TXT records (SPF,
    other vendors') stay as they are, and which a CNAME may delegate."""
    return f"{CHALLENGE_LABEL}.{domain}"


def txt_text(strings: Sequence[bytes]) -> str:
    """One TXT record's value: its character-strings (each at most 255 octets, so a long
    value is split by the DNS console) joined with nothing between them, as SPF does
    (RFC 7208 3.3); bytes that are not UTF-8 cannot match, so they are replaced."""
    return b"".join(strings).decode("utf-8", errors="replace")


def proves(records: Iterable[str], token: str) -> bool:
    """Whether one of the TXT records found (each joined by ``txt_text``) is exactly the
    domain's record: the same prefix and token, nothing around them."""
    expected = record_value(token)
    return any(secrets.compare_digest(record.encode(), expected.encode()) for record in records)


@dataclass(frozen=True)
class DomainClaim:
    """A verified domain and the org that holds it (``verified_domains/{domain}``)."""

    domain: str
    org_id: str


@dataclass(frozen=True)
class OrgDomain:
    """A domain an org added: ``orgs/{org_id}/domains/{domain}``; once verified, the org also
    holds ``verified_domains/{domain}``, which no other org can take."""

    org_id: str
    domain: str  # as ``domain_name`` makes it
    token: str
    status: DomainStatus
    created_at: datetime
    created_by: str  # the user id of the admin who added it
    verified_at: datetime | None = None
    # Read with it, never stored: the other orgs' verified domains that read like it
    # (``with_look_alikes``), by name
    look_alike_of: tuple[str, ...] = field(default=(), compare=False)

    @staticmethod
    def create(org_id: str, domain: str, created_by: str, now: datetime) -> OrgDomain:
        return OrgDomain(
            org_id=org_id,
            domain=domain_name(domain),
            token=new_verification_token(),
            status=DomainStatus.PENDING,
            created_at=now,
            created_by=created_by,
        )

    @property
    def verified(self) -> bool:
        return self.status is DomainStatus.VERIFIED

    @property
    def record_name(self) -> str:
        return challenge_name(self.domain)

    @property
    def alternative_name(self) -> str:
        """The other name the record may be published at: the domain itself."""
        return self.domain

    @property
    def record_value(self) -> str:
        return record_value(self.token)

    @property
    def lookup_names(self) -> tuple[str, str]:
        return (self.record_name, self.alternative_name)

    def proven_by(self, records: Iterable[str]) -> bool:
        return proves(records, self.token)

    @property
    def look_alike(self) -> str:
        return domain_look_alike(self.domain)

    def verified_now(self, now: datetime) -> OrgDomain:
        return replace(self, status=DomainStatus.VERIFIED, verified_at=now)

    def with_look_alikes(self, claims: Iterable[DomainClaim]) -> OrgDomain:
        """The domain naming the verified domains of ``claims`` that read like it and are
        another org's: a person may take one for the other, though neither reaches the
        other's accounts (addresses are keyed by their exact domain)."""
        key = self.look_alike
        others = {
            claim.domain
            for claim in claims
            if claim.org_id != self.org_id
            and claim.domain != self.domain
            and domain_look_alike(claim.domain) == key
        }
        return replace(self, look_alike_of=tuple(sorted(others)))


def domain_taken() -> Conflict:
    """409: another org verified this domain; it is that org's until it deletes it."""
    return Conflict(
        "Another organization has verified this domain.", code="domain_taken", field="domain"
    )


def domain_exists() -> Conflict:
    return Conflict(
        "This organization has this domain already.", code="domain_exists", field="domain"
    )


def no_such_domain() -> NotFound:
    return NotFound("This organization has no such domain.", code="domain_not_found")
