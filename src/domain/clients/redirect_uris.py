"""The addresses a client of the OpenID provider registers (docs/reference/oauth.md,
"Clients"): its redirect URIs, matched exactly or, on a loopback address, on any port
(RFC 8252), and its back-channel logout URI; and the characters that disguise a text shown
to a person."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from domain.errors import InvalidInput
from domain.text import has_control, has_direction_control

MAX_URI_CHARS = 2000
LOOPBACK_HOSTS = ("127.0.0.1", "[::1]", "localhost")


def _loopback(uri: str) -> bool:
    try:
        parts = urlsplit(uri)
    except ValueError:  # e.g. an unclosed IPv6 bracket: no URI at all
        return False
    if parts.scheme != "http" or parts.hostname is None:
        return False
    host = parts.hostname
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _without_port(uri: str) -> str:
    parts = urlsplit(uri)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return parts._replace(netloc=host).geturl()


def redirect_uri_allowed(registered: tuple[str, ...], candidate: str) -> bool:
    """Exact match; for a loopback ``http`` URI any port (RFC 8252 §7.3)."""
    if candidate in registered:
        return True
    if not _loopback(candidate):
        return False
    bare = _without_port(candidate)
    return any(_loopback(uri) and _without_port(uri) == bare for uri in registered)


def disguised(text: str) -> bool:
    """Control or direction characters: shown to a person (the consent page, the apps on
    /account), they hide or reorder what the text says ("\u202e" reads backwards)."""
    return has_control(text) or has_direction_control(text)


def check_redirect_uri(uri: str, field: str = "redirect_uri") -> str:
    """An absolute URI without fragment: ``https``, loopback ``http``, or an app's private
    scheme (``com.example.app:/cb``, RFC 8252 §7.1)."""
    if not uri or len(uri) > MAX_URI_CHARS or any(ch.isspace() for ch in uri) or disguised(uri):
        raise InvalidInput.field(field, "Not a valid redirect URI.", "invalid_redirect_uri")
    try:
        parts = urlsplit(uri)
    except ValueError:
        raise InvalidInput.field(
            field, "Not a valid redirect URI.", "invalid_redirect_uri"
        ) from None
    if parts.fragment or "#" in uri:
        raise InvalidInput.field(field, "A redirect URI has no fragment.", "invalid_redirect_uri")
    if parts.scheme == "https" and parts.hostname:
        return uri
    if _loopback(uri):
        return uri
    if parts.scheme and "." in parts.scheme and parts.scheme not in ("http", "https"):
        return uri
    raise InvalidInput.field(
        field,
        "A redirect URI is https, http on a loopback address, or an app's own scheme.",
        "invalid_redirect_uri",
    )


def check_backchannel_logout_uri(uri: str) -> str:
    """Back-Channel Logout 1.0 §2.2: an absolute http(s) URI, no fragment (a query is
    allowed). Where it may point (https, a public address outside the local profile) is
    checked when a token is sent, as for a webhook."""
    problem = "An absolute http(s) URI without a fragment, user or password."
    try:
        parts = urlsplit(uri)
        port_ok = parts.port != 0
    except ValueError:
        port_ok = False
    if (
        not port_ok
        or len(uri) > MAX_URI_CHARS
        or any(ch.isspace() for ch in uri)
        or disguised(uri)
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or "#" in uri
    ):
        raise InvalidInput.field(
            "backchannel_logout_uri", problem, "invalid_backchannel_logout_uri"
        )
    return uri
