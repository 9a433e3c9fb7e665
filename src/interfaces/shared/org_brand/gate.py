"""The unit's request gate (``REQUEST_GATES``, interfaces/shared/shell.py): a request whose
Host is the service's own (PUBLIC_URL's; the pushes' with Pub/Sub; in the local profile a
loopback name, any port) passes; one to an active org host passes as that org's
(``HOST_ORG`` on ``g``); any other is answered 421 ``misdirected_request`` before anything
has touched the session, so with no cookie (docs/reference/org-sign-in-domain.md,
docs/decisions/0896-the-hosts-gate-and-its-cache.md)."""

from __future__ import annotations

from flask import Response, g, request

from application.org_brand.hosts import SignInHosts
from domain.org_brand.hosts import MISDIRECTED_REQUEST
from interfaces.shared.org_brand.request_org import HOST_ORG
from interfaces.shared.problems import problem
from interfaces.shared.services import services

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def host_of(header: str) -> str:
    """The name of a ``Host`` header: lower case, without its port, brackets or trailing dot
    (``[::1]:8000`` is ``::1``)."""
    text = header.strip().lower()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    else:
        name, colon, port = text.rpartition(":")
        if colon and port.isdigit():
            text = name
    return text[:-1] if text.endswith(".") else text


def sign_in_host_gate() -> Response | None:
    hosts = services().of(SignInHosts)
    name = host_of(request.host)
    if name in hosts.settings.own_hosts or (hosts.settings.loopback and name in LOOPBACK):
        return None
    org_id = hosts.org_of(name) if name else None
    if org_id is not None:
        setattr(g, HOST_ORG, org_id)
        return None
    return problem(
        421,
        MISDIRECTED_REQUEST,
        "This service does not answer for this host: use its own address.",
    )
