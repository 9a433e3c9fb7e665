"""What the per-address request limits of every driving adapter share (docs/security.md)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import has_request_context, request

from domain.throttling import client_scope


@dataclass(frozen=True)
class LimitedAs:
    """A route that counts against another route's limit, with the same counters: the
    compatibility routes (docs/migrating.md), the pages (docs/pages.md), and the native
    route each stands for."""

    method: str
    rule: str
    endpoint: str  # the other route's endpoint: its counters' scope


def client_ip() -> str:
    """The client's address after ``ProxyFix`` (``TRUSTED_PROXY_HOPS``): the trusted hop's
    view, never a header a client can set; "" when unknown."""
    return request.remote_addr or ""


def client_key() -> str:
    return client_scope(client_ip())


def request_origin() -> tuple[str, str]:
    """The client address and user agent of the request being served, for the security
    events it causes; ``("", "")`` outside a request and for the job queue's push, whose
    caller is Pub/Sub, not a person."""
    if not has_request_context() or request.blueprint == "jobs":
        return "", ""
    return client_ip(), request.headers.get("User-Agent", "")[:256]
