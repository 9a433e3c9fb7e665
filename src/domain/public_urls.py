"""The URL rule of what firegate sends to an address it is given (a webhook, an auth hook):
https to a public host outside the local profile, and which addresses are public
(docs/security.md, "Webhooks")."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from domain.errors import InvalidInput
from domain.text import has_control

MAX_URL_LENGTH = 2048

# IPv6 forms that carry an IPv4 address a gateway or the host itself turns back into IPv4:
# the address checked is the IPv4 one (docs/security.md, "Webhooks").
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052's well-known prefix
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215: a network's own NAT64
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # ::a.b.c.d, deprecated but still routed
# 6to4 (RFC 7526 deprecated it; IANA's registry calls it not globally reachable, as Python
# 3.13's ipaddress does): refused whatever IPv4 address it carries
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d
        return address.ipv4_mapped
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):  # not :: or ::1
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def public_address(text: str) -> bool:
    """An address a receiver on the internet may have: not private, loopback, link-local
    (cloud metadata), multicast, reserved or unspecified; nor an IPv6 address that embeds
    such an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64); nor a 6to4 one."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address in _LOCAL_NAT64 or address in _SIX_TO_FOUR:
            return False  # a network's own NAT64 prefix places its IPv4 part as it likes
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            if not (address.is_global or address.ipv4_mapped is not None):
                return False
            address = embedded
    return address.is_global and not address.is_multicast


def loopback_host(host: str) -> bool:
    """``localhost`` (and its subdomains) or a loopback address."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, local: bool) -> str:
    """A URL deliveries may go to: https to a host that is not a private or loopback address
    (names are resolved again at delivery time); in the local profile, http and loopback too."""
    problem = _url_problem(url, local=local)
    if problem is not None:
        raise InvalidInput.field("url", problem, "invalid_webhook_url")
    return url


def _url_problem(url: str, *, local: bool) -> str | None:
    unusable = "This is not a usable URL."
    if len(url) > MAX_URL_LENGTH or has_control(url) or url != url.strip():
        return unusable
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
        unreachable = parts.port == 0 or (bool(host) and not _host_syntax(host))
    except ValueError:
        return unusable
    if parts.scheme not in ("https", "http") or not host or parts.username or parts.password:
        return "The URL must be http(s)://host/path, without a user or password."
    if local or unreachable:
        return unusable if unreachable else None
    if parts.scheme != "https":
        return "The URL must start with https://."
    return None if _public_host(host) else "The URL must name a public host."


_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")


def _host_syntax(host: str) -> bool:
    """An IP address, or a name of labels a resolver can ask for (an international name in
    its IDNA form): a space or a symbol in the host could never be delivered to."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        name = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return len(name) <= 253 and all(_LABEL.fullmatch(label) for label in name.split("."))


def _public_host(host: str) -> bool:
    """Not loopback, and an address only if public: a name is checked when it is resolved,
    at delivery."""
    if loopback_host(host):
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True
    return public_address(host)
