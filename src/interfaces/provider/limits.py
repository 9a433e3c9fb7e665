"""Whom a request to the provider's token, device authorization and introspection endpoints
counts against in the request limits (docs/security.md, "Per-address request limits"): the
client it authenticates, as the endpoints will, rather than the address alone. A BFF, a
Cloud NAT's egress or an MCP gateway speaks for many people from one address: each client
behind it has its own budget and its own counters (docs/decisions/0358)."""

from __future__ import annotations

from flask import request

from application.clients.clients import FindClient
from application.clients.services import ClientServices
from interfaces.shared.limits import Identify, Route, client_key
from interfaces.shared.services import services

MAX_CLIENT_ID = 200  # as the endpoints' own lookup: longer names no client


def authenticated_client() -> str | None:
    """A confidential client that proves its secret (HTTP Basic, else the form), by its id
    alone; a public client (no secret to prove, so anyone may name it) by its id at the
    request's address; None for a client unknown or not proven: the address. The client is
    read through the process's copies the endpoint reads it from next (``ClientCache``)."""
    # authlib.oauth2 (dozens of modules) waits for the provider's first request, as its server
    # does (docs/decisions/0530-protocol-stacks-loaded-when-used.md).
    from authlib.oauth2.rfc6749.util import extract_basic_authorization  # noqa: PLC0415

    try:
        named, secret = extract_basic_authorization(request.headers)
    except UnicodeDecodeError:
        return None
    if not named:
        named, secret = request.form.get("client_id"), request.form.get("client_secret")
    if not named or len(named) > MAX_CLIENT_ID:
        return None
    client = services().of(ClientServices).clients.client(FindClient(named))
    if client is None:
        return None
    if not client.confidential:
        return f"client:{client.client_id} {client_key()}"
    if secret and client.secret_matches(secret):
        return f"client:{client.client_id}"
    return None


LIMITED_BY: dict[Route, Identify] = {
    ("POST", "/oauth/token"): authenticated_client,
    ("POST", "/oauth/device_authorization"): authenticated_client,
    ("POST", "/oauth/introspect"): authenticated_client,
}
