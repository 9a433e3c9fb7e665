"""The TXT records of a name, and the target of its CNAME (an org's sign-in host,
docs/reference/org-sign-in-domain.md), through dnspython's stub resolver
(docs/decisions/0368-domain-verification-record.md).

The resolver is ``DNS_RESOLVER`` (``host:port``: the tests' own DNS server, or a company's
resolver) or, when empty, the machine's (/etc/resolv.conf). No cache: a record just published
is seen by the next attempt, as far as the resolver's own cache allows. dnspython asks over
UDP and again over TCP when the answer comes back truncated (many or long TXT records).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from typing import TYPE_CHECKING

from domain.errors import Unavailable
from domain.orgs.domains import txt_text

if TYPE_CHECKING:
    import dns.resolver

log = logging.getLogger("firegate.orgs")

TIMEOUT = 2.0  # seconds for one nameserver to answer one query
LIFETIME = 4.0  # seconds for a whole lookup, retries and the TCP fallback included


def _unavailable(name: str, exc: Exception) -> Unavailable:
    log.warning("DNS lookup of %s failed: %s", name, type(exc).__name__)
    return Unavailable("The DNS resolver did not answer; try again shortly.", retry_after=30)


def _address(host: str) -> str:
    """A nameserver's IP address: dnspython takes addresses, so a host name is resolved once."""
    host = host.strip("[]")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return str(socket.getaddrinfo(host, None, proto=socket.IPPROTO_UDP)[0][4][0])


class DnspythonTxtRecords:
    """``TxtRecords`` over dnspython; ``resolver`` is ``host:port``, or "" for the system's."""

    def __init__(
        self, resolver: str = "", *, timeout: float = TIMEOUT, lifetime: float = LIFETIME
    ) -> None:
        self._setting = resolver
        self._timeout, self._lifetime = timeout, lifetime
        self._resolver: dns.resolver.Resolver | None = None
        self._lock = threading.Lock()

    def _configured(self) -> dns.resolver.Resolver:
        """Made on first use: a machine without /etc/resolv.conf fails a lookup (503), never
        the service's start. dnspython with it: an optional dependency, which only an org's
        domain check uses, and a fifth of a second and 5 MiB of every worker's start if it
        were imported with this module (docs/decisions/0453-one-import-in-the-master.md)."""
        import dns.resolver  # noqa: PLC0415 - see above

        with self._lock:
            if self._resolver is None:
                if self._setting:
                    host, _, port = self._setting.rpartition(":")
                    resolver = dns.resolver.Resolver(configure=False)
                    resolver.nameservers = [_address(host)]
                    resolver.port = int(port)
                else:
                    resolver = dns.resolver.Resolver()
                resolver.timeout, resolver.lifetime = self._timeout, self._lifetime
                self._resolver = resolver
            return self._resolver

    def lookup(self, name: str) -> list[str]:
        import dns.exception  # noqa: PLC0415 - with the first lookup, as _configured says
        import dns.name  # noqa: PLC0415
        import dns.rdatatype  # noqa: PLC0415
        import dns.resolver  # noqa: PLC0415
        from dns.rdtypes.ANY.TXT import TXT  # noqa: PLC0415

        try:
            answer = self._configured().resolve(
                dns.name.from_text(name), dns.rdatatype.TXT, search=False
            )
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except (dns.exception.DNSException, OSError) as exc:
            raise _unavailable(name, exc) from None
        return [txt_text(rdata.strings) for rdata in answer if isinstance(rdata, TXT)]

    def cname(self, name: str) -> str | None:
        """The name ``name``'s CNAME record points at (lower case, no trailing dot); None
        without one (an org's sign-in host: application/org_brand/hosts.py)."""
        import dns.exception  # noqa: PLC0415 - with the first lookup, as _configured says
        import dns.name  # noqa: PLC0415
        import dns.rdatatype  # noqa: PLC0415
        import dns.resolver  # noqa: PLC0415
        from dns.rdtypes.ANY.CNAME import CNAME  # noqa: PLC0415

        try:
            answer = self._configured().resolve(
                dns.name.from_text(name), dns.rdatatype.CNAME, search=False
            )
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None
        except (dns.exception.DNSException, OSError) as exc:
            raise _unavailable(name, exc) from None
        for rdata in answer:
            if isinstance(rdata, CNAME):
                return str(rdata.target.to_text(omit_final_dot=True)).lower()
        return None
