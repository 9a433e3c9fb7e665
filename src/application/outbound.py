"""What firegate sends to, or fetches from, an address it is given (a webhook's delivery, an
auth hook's call, an IdP's metadata, a client's keys): the host resolved and checked to be
public, the one address it is then called at, and how such a request fails
(docs/security.md, "Webhooks")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from domain.public_urls import public_address


class HostResolver(Protocol):
    def addresses(self, host: str) -> list[str]:
        """Every address ``host`` resolves to (an address resolves to itself); [] if none."""
        ...


class WebhookUnreachable(Exception):
    """No answer: refused, timed out, a TLS failure, an unreadable answer."""


class DocumentTooLarge(Exception):
    """An answer longer than the caller's limit."""


@dataclass(frozen=True)
class Answer:
    """What a server answered one request: the status line, the headers and the body."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


def public_address_of(url: str, resolver: HostResolver) -> tuple[str | None, str | None]:
    """The address to call ``url``'s host at, or why it may not be called: it resolves to no
    address, or to one that is not public (docs/security.md, "Webhooks"). The sender connects
    to this very address, so a host that answers DNS again with another (DNS rebinding)
    is not called there. Whatever else firegate fetches at an address it is given goes
    through this check too (an IdP's metadata, application/sso/connections.py)."""
    host = urlsplit(url).hostname or ""
    addresses = resolver.addresses(host)
    if not addresses:
        return None, "host_not_resolved"
    if not all(public_address(address) for address in addresses):
        return None, "not_public_address"
    return addresses[0], None
