"""What firegate sends to, or fetches from, an address it is given (a webhook's delivery, an
auth hook's call, an IdP's metadata, a client's keys or metadata document): the host resolved
and checked to be public, the one address it is then called at, how such a request fails and
the name of each cause, which every caller shows and logs as it is
(docs/security.md, "Webhooks"; docs/reference/webhooks.md, "Why a call failed")."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from domain.public_urls import public_address

log = logging.getLogger("firegate.outbound")

# Why an outbound call failed: the one client names each (infrastructure/outbound_http.py),
# the address check the first two; every caller keeps, shows and logs the name as it is.
HOST_NOT_RESOLVED = "host_not_resolved"
NOT_PUBLIC_ADDRESS = "not_public_address"
NOT_HTTPS = "not_https"
CONNECTION_REFUSED = "connection_refused"
UNREACHABLE = "unreachable"  # no route, a network down: no connection by any other cause
TLS_VERIFICATION_FAILED = "tls_verification_failed"
TLS_FAILED = "tls_failed"
DEADLINE_EXCEEDED = "deadline_exceeded"
CONNECTION_CLOSED = "connection_closed"
NOT_HTTP = "not_http"
TOO_LARGE = "too_large"
REDIRECT = "redirect"
INVALID_URL = "invalid_url"
STATUS = "status_"  # and the status: status_404, status_500

CAUSES: dict[str, str] = {
    HOST_NOT_RESOLVED: "its host has no address",
    NOT_PUBLIC_ADDRESS: "its host is not at a public address",
    NOT_HTTPS: "it is not https",
    CONNECTION_REFUSED: "the connection was refused",
    UNREACHABLE: "its address could not be reached",
    TLS_VERIFICATION_FAILED: "its TLS certificate could not be verified",
    TLS_FAILED: "the TLS handshake failed",
    DEADLINE_EXCEEDED: "no whole answer came within the deadline",
    CONNECTION_CLOSED: "the connection closed before a whole answer",
    NOT_HTTP: "the answer is not HTTP",
    TOO_LARGE: "the answer is larger than the limit",
    REDIRECT: "it answers with a redirect, which is not followed",
    INVALID_URL: "its URL cannot be called",
}


class HostResolver(Protocol):
    def addresses(self, host: str) -> list[str]:
        """Every address ``host`` resolves to (an address resolves to itself); [] if none."""
        ...


class WebhookSender(Protocol):
    """The platform's outbound client's POST: a webhook's delivery, an auth hook's call."""

    def post(self, url: str, body: str, headers: dict[str, str], address: str | None = None) -> int:
        """POST ``body`` as JSON without following redirects; the status code, or
        WebhookUnreachable. With ``address``, the connection goes to that address (the one
        the host was checked to resolve to) and the host is not resolved again; the Host
        header, TLS's server name and the certificate's check stay the URL's host."""
        ...


class WebhookUnreachable(Exception):
    """No answer, or none the caller takes: its text is the cause's name (``CAUSES``, or
    ``status_<n>``)."""

    @property
    def cause(self) -> str:
        return str(self) or UNREACHABLE


class DocumentTooLarge(Exception):
    """An answer longer than the caller's limit."""

    cause = TOO_LARGE


def status_cause(status: int) -> str:
    """The cause of refusing an answer of ``status``: a redirect (never followed), or the
    status itself."""
    return REDIRECT if 300 <= status < 400 else f"{STATUS}{status}"


def said(cause: str, *, seconds: float | None = None, limit: int | None = None) -> str:
    """``cause`` in words, its name after them, for a refusal's message: "its TLS certificate
    could not be verified (tls_verification_failed)". ``seconds`` and ``limit`` (bytes), where
    the caller knows them: the call's deadline and the most it reads."""
    if cause.startswith(STATUS) and cause[len(STATUS) :].isdigit():
        words = f"it answered {cause[len(STATUS) :]}"
    elif cause == DEADLINE_EXCEEDED and seconds is not None:
        words = f"no whole answer came within {seconds:g} seconds"
    elif cause == TOO_LARGE and limit is not None:
        words = f"the answer is larger than {limit // 1024} KB"
    else:
        words = CAUSES.get(cause, "it failed")
    return f"{words} ({cause})"


def log_refusal(what: str, url: str, cause: str) -> None:
    """One line per refusal of ``what`` was fetched from ``url`` (its host alone: a path or a
    query may carry a secret), with the cause as a field of the JSON line."""
    host = urlsplit(url).hostname or "?"
    log.warning(
        "%s from %s refused: %s",
        what,
        host,
        cause,
        extra={"outbound_cause": cause, "outbound_host": host},
    )


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
        return None, HOST_NOT_RESOLVED
    if not all(public_address(address) for address in addresses):
        return None, NOT_PUBLIC_ADDRESS
    return addresses[0], None
