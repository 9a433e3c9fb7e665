"""A local authoritative DNS server for the tests: UDP and TCP on one port of 127.0.0.1,
answering from a zone the test edits (``Zone``), built on dnspython's messages.

    with dns_server() as server:
        server.zone.set_txt("_firegate.example.com", "firegate-verification=...")
        server.zone.set_cname("login.example.com", "hosts.firegate.example")
        DnspythonTxtRecords(server.address)  # "127.0.0.1:<port>"

Over UDP an answer larger than the query's EDNS payload (512 octets without EDNS) is sent
truncated, so a resolver has to ask again over TCP, as with a real server.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
from dns.rdtypes.ANY.CNAME import CNAME
from dns.rdtypes.ANY.TXT import TXT

from tests.support.local_servers import in_thread

TTL = 0  # nothing is cached between a test's edits
UDP_MIN = 512


class Zone:
    """TXT records and CNAMEs by name; a name with records (of any edit) exists, any other is
    NXDOMAIN; a name in ``failing`` is answered SERVFAIL. Safe to edit while the server
    answers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._txt: dict[dns.name.Name, list[tuple[bytes, ...]]] = {}
        self._cnames: dict[dns.name.Name, dns.name.Name] = {}
        self._failing: set[dns.name.Name] = set()
        self.queries: list[tuple[str, str]] = []  # (transport, name) of each question

    def set_txt(self, name: str, *records: str | Sequence[str]) -> None:
        """The TXT records at ``name``, replacing those it had: each a string, or the
        character-strings of one record (each at most 255 octets)."""
        strings = [
            (record.encode(),) if isinstance(record, str) else tuple(s.encode() for s in record)
            for record in records
        ]
        with self._lock:
            self._txt[dns.name.from_text(name)] = strings

    def set_cname(self, name: str, target: str) -> None:
        """``name``'s CNAME, to ``target`` (asked for its CNAME, it answers that record)."""
        with self._lock:
            self._cnames[dns.name.from_text(name)] = dns.name.from_text(target)

    def remove(self, name: str) -> None:
        """``name`` no longer exists (NXDOMAIN)."""
        with self._lock:
            self._txt.pop(dns.name.from_text(name), None)
            self._cnames.pop(dns.name.from_text(name), None)

    def fail(self, name: str, failing: bool = True) -> None:
        with self._lock:
            key = dns.name.from_text(name)
            (self._failing.add if failing else self._failing.discard)(key)

    def answer(self, query: dns.message.Message, transport: str) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if len(query.question) != 1:
            response.set_rcode(dns.rcode.FORMERR)
            return response
        question = query.question[0]
        with self._lock:
            self.queries.append((transport, question.name.to_text(omit_final_dot=True)))
            if question.name in self._failing:
                response.set_rcode(dns.rcode.SERVFAIL)
                return response
            records = self._txt.get(question.name)
            cname = self._cnames.get(question.name)
        if records is None and cname is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif cname is not None and question.rdtype in (dns.rdatatype.CNAME, dns.rdatatype.ANY):
            rrset = dns.rrset.RRset(question.name, dns.rdataclass.IN, dns.rdatatype.CNAME)
            rrset.add(CNAME(dns.rdataclass.IN, dns.rdatatype.CNAME, cname), TTL)  # type: ignore[no-untyped-call]
            response.answer.append(rrset)
        elif question.rdtype in (dns.rdatatype.TXT, dns.rdatatype.ANY) and records:
            rrset = dns.rrset.RRset(question.name, dns.rdataclass.IN, dns.rdatatype.TXT)
            for strings in records:
                rrset.add(TXT(dns.rdataclass.IN, dns.rdatatype.TXT, strings), TTL)
            response.answer.append(rrset)
        return response  # an existing name without such records: NOERROR, no answer


@dataclass
class DnsServer:
    zone: Zone
    port: int

    @property
    def address(self) -> str:
        """What ``DNS_RESOLVER`` is set to."""
        return f"127.0.0.1:{self.port}"


def _handlers(zone: Zone) -> tuple[type[socketserver.BaseRequestHandler], ...]:
    class Udp(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            data, sock = self.request
            try:
                query = dns.message.from_wire(data)
            except dns.exception.DNSException:
                return
            limit = max(UDP_MIN, query.payload) if query.edns >= 0 else UDP_MIN
            wire = zone.answer(query, "udp").to_wire(max_size=limit, prefer_truncation=True)
            sock.sendto(wire, self.client_address)

    class Tcp(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            with contextlib.suppress(EOFError, OSError, dns.exception.DNSException):
                while True:  # a resolver may send several queries on one connection
                    query, _ = dns.query.receive_tcp(self.request)
                    dns.query.send_tcp(self.request, zone.answer(query, "tcp"))

    return Udp, Tcp


class _ThreadingTCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _ThreadingUDPServer(socketserver.ThreadingUDPServer):
    daemon_threads = True


@contextlib.contextmanager
def dns_server(zone: Zone | None = None, port: int = 0) -> Iterator[DnsServer]:
    """A server answering from ``zone`` on ``port`` (0: a free one), UDP and TCP alike, until
    the block ends."""
    zone = zone or Zone()
    udp_handler, tcp_handler = _handlers(zone)
    for _ in range(20):
        udp = _ThreadingUDPServer(("127.0.0.1", port), udp_handler)
        chosen = udp.server_address[1]
        try:
            tcp = _ThreadingTCPServer(("127.0.0.1", chosen), tcp_handler)
        except OSError:  # the TCP port of this number is someone else's: another number
            udp.server_close()
            if port:
                raise
            continue
        break
    else:
        raise OSError("no port free for both UDP and TCP")
    with in_thread(udp), in_thread(tcp):
        yield DnsServer(zone, chosen)


def unused_port() -> int:
    """A UDP and TCP port nothing listens on (for a resolver that does not answer)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
