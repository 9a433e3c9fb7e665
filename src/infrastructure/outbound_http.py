"""Sending webhooks over HTTP and resolving their hosts (docs/reference/webhooks.md,
docs/security.md "Webhooks"). The same pinned client calls the auth hooks (docs/hooks.md) and
fetches the other documents firegate is given the address of (an SSO connection's IdP
metadata, docs/reference/sso.md; a client's keys), under the same rules: one ``Outbound``
per process, made by the platform, whose senders share its CA bundle, TLS context and
kept connections."""

from __future__ import annotations

import http.client
import os
import select
import socket
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from contextlib import suppress
from urllib.parse import urlsplit

import certifi

from application.outbound import (
    CONNECTION_CLOSED,
    CONNECTION_REFUSED,
    DEADLINE_EXCEEDED,
    HOST_NOT_RESOLVED,
    INVALID_URL,
    NOT_HTTP,
    TLS_FAILED,
    TLS_VERIFICATION_FAILED,
    UNREACHABLE,
    Answer,
    DocumentTooLarge,
    WebhookUnreachable,
    status_cause,
)

MAX_ANSWER_BYTES = 4 * 1024  # read, then dropped; a longer answer closes the connection
USER_AGENT = "firegate-webhooks/1"
MAX_RECEIVERS = 64  # receivers with idle connections kept; the least recently used go first

_Key = tuple[str, str, int, str]  # scheme, address connected to, port, host


class _Connection(http.client.HTTPConnection):
    """One connection to ``address``, for ``host``: TLS's server name and the name the
    certificate must carry. The socket it reads from (the TCP one, then the TLS one that
    takes it over) is kept from the moment it exists, so that the attempt's deadline can cut
    it at any step, the TLS handshake included (docs/security.md, "Outbound calls";
    docs/decisions/0590-the-outbound-deadline-cuts-the-socket-read-from.md)."""

    def __init__(
        self, address: str, port: int, host: str, tls: ssl.SSLContext | None, timeout: float
    ) -> None:
        super().__init__(address, port, timeout=timeout)
        self.server_name, self.tls = host, tls
        self.live: socket.socket | None = None
        self.cut = threading.Event()

    def connect(self) -> None:
        raw = socket.create_connection((self.host, self.port), self.timeout)
        self._reads_from(raw)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls is None:
            self.sock = raw
            return
        # wrap_socket takes the TCP socket's descriptor over (``raw`` is detached: shutting
        # it down would fail, EBADF): the deadline cuts the TLS socket, so the handshake is
        # made once that socket is the one kept.
        secured = self.tls.wrap_socket(
            raw, server_hostname=self.server_name, do_handshake_on_connect=False
        )
        self._reads_from(secured)
        secured.do_handshake()
        self.sock = secured

    def _reads_from(self, sock: socket.socket) -> None:
        self.live = sock
        if self.cut.is_set():  # the deadline passed before it could cut this socket
            sock.close()
            raise TimeoutError(DEADLINE_EXCEEDED)

    def cut_off(self) -> None:
        """The deadline: whatever this connection waits for (the handshake, the headers, the
        body) fails now. A shutdown, not a close: it wakes a thread blocked reading."""
        self.cut.set()
        live = self.live
        if live is not None:
            with suppress(OSError):
                live.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Closes the socket read from too: one whose handshake failed, cut by the deadline,
        is not yet the connection's ``sock``, and would stay open, the receiver still
        connected, until the object is collected."""
        super().close()
        live, self.live = self.live, None
        if live is not None:
            live.close()

    def dropped(self) -> bool:
        """Idle, and closed by the receiver (or sending what nobody asked for)."""
        if self.sock is None:
            return True
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)


class Outbound:
    """The outbound client of every call to an address firegate is given (a webhook, an auth
    hook, a client's keys or metadata document, an IdP's metadata or OpenID endpoints), one
    per process, made by the platform (bootstrap/platform.py): the CA bundle they all trust
    (``ca_certs``: SSL_CERT_FILE's, docs/configuration.md "Service"; certifi's when None),
    the one TLS context made from it by the first https call, and the connections kept
    between calls, up to ``pool_size`` idle ones per receiver and ``MAX_RECEIVERS`` receivers
    (docs/decisions/0725-one-outbound-client-made-by-the-platform.md). ``sender(timeout)``: a
    sender of its own deadline that shares all of that."""

    def __init__(self, ca_certs: str | None = None, pool_size: int = 32) -> None:
        self._ca_certs = ca_certs or certifi.where()
        self._pool_size = pool_size
        self._lock = threading.Lock()
        self._idle: OrderedDict[_Key, list[_Connection]] = OrderedDict()
        self._tls: ssl.SSLContext | None = None
        self._pid: int | None = None

    @property
    def ca_certs(self) -> str:
        """The CA bundle every outbound https call trusts (a PEM file's path)."""
        return self._ca_certs

    def sender(self, timeout: float) -> PinnedWebhookSender:
        return PinnedWebhookSender(self, timeout)

    def context(self) -> ssl.SSLContext:
        with self._lock:
            if self._tls is None:
                self._tls = ssl.create_default_context(cafile=self._ca_certs)
            return self._tls

    def connection(self, key: _Key, timeout: float) -> _Connection:
        """An idle connection kept for ``key``, or a new one (not yet connected)."""
        scheme, address, port, host = key
        with self._lock:
            if self._pid != os.getpid():  # a fork copied the sockets: they are not ours
                self._idle, self._pid = OrderedDict(), os.getpid()
            idle = self._idle.get(key, [])
            while idle:
                conn = idle.pop()
                if not conn.dropped():
                    conn.cut.clear()
                    conn.timeout = timeout  # made for another deadline, maybe
                    if conn.sock is not None:
                        conn.sock.settimeout(timeout)
                    return conn
                conn.close()
        tls = self.context() if scheme == "https" else None
        return _Connection(address, port, host, tls, timeout)

    def keep(self, key: _Key, conn: _Connection) -> None:
        evicted: list[_Connection] = []
        with self._lock:
            idle = self._idle.setdefault(key, [])
            self._idle.move_to_end(key)
            if len(idle) < self._pool_size and self._pid == os.getpid():
                idle.append(conn)
            else:
                evicted.append(conn)
            while len(self._idle) > MAX_RECEIVERS:
                evicted.extend(self._idle.popitem(last=False)[1])
        for old in evicted:
            old.close()


class PinnedWebhookSender:
    """Each POST goes to the address the delivery's host was checked to resolve to, with the
    URL's host as TLS's server name and the name the certificate must have, and as the Host
    header: the host is never resolved again between the check and the connection
    (docs/security.md, "Webhooks").

    ``timeout`` bounds the whole attempt: connecting, the TLS handshake, sending, the status
    line, the headers and at most ``MAX_ANSWER_BYTES`` of the body; a receiver that has not
    given all of that by then has failed (``deadline_exceeded``), however slowly it trickles
    bytes (docs/reference/webhooks.md, "Time limits"). The CA bundle, the TLS context and the
    connections kept between deliveries are ``outbound``'s, shared with every sender it
    made (``Outbound.sender``)."""

    def __init__(self, outbound: Outbound, timeout: float) -> None:
        self.outbound = outbound
        self._timeout = timeout

    def post(self, url: str, body: str, headers: dict[str, str], address: str | None = None) -> int:
        sent = {"Content-Type": "application/json", **headers}
        answer = self.exchange(
            "POST", url, body.encode(), sent, address=address, limit=MAX_ANSWER_BYTES, whole=False
        )
        return answer.status

    def get(self, url: str, address: str | None, limit: int) -> bytes:
        """GET ``url`` without following redirects, under the same deadline and through the
        same pinned connection as a delivery: its body if the answer is 200 and at most
        ``limit`` bytes; DocumentTooLarge past that, WebhookUnreachable for anything else
        (``redirect``, ``status_<n>``, no answer, a body that breaks off)."""
        answer = self.exchange("GET", url, None, {}, address=address, limit=limit)
        if answer.status != 200:
            raise WebhookUnreachable(status_cause(answer.status))
        return answer.body

    def exchange(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        *,
        address: str | None,
        limit: int,
        whole: bool = True,
        timeout: float | None = None,
    ) -> Answer:
        """Any request, sent as a delivery is: the answer whatever its status, its body whole
        and at most ``limit`` bytes (DocumentTooLarge past that); WebhookUnreachable when no
        whole answer came, its text the cause's name (``_cause``). Not ``whole`` (a delivery):
        the status is the answer, whatever comes of the body, of which at most ``limit`` bytes
        are read. ``timeout``: this request's own deadline (an auth hook's), else the
        sender's."""
        deadline = self._timeout if timeout is None else timeout
        parts = urlsplit(url)
        try:
            host = parts.hostname or ""
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise WebhookUnreachable(INVALID_URL) from None
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        sent = {"User-Agent": USER_AGENT, "Host": parts.netloc.rsplit("@", 1)[-1], **headers}
        key = (parts.scheme, address or host, port, host)
        conn = self.outbound.connection(key, deadline)
        timer = threading.Timer(deadline, conn.cut_off)
        timer.daemon = True
        began = time.monotonic()
        timer.start()
        status: int | None = None
        reason, answer = "", b""
        got: tuple[tuple[str, str], ...] = ()
        failure, reusable = "", False
        try:
            conn.request(method, target, body=body, headers=sent)
            response = conn.getresponse()
            status, reason, got = response.status, response.reason, tuple(response.getheaders())
            answer, reusable = _read_answer(response, limit)
        except (http.client.HTTPException, OSError, ValueError) as error:
            failure = _cause(error)
        finally:
            timer.cancel()
        # No whole answer by the deadline, however much of one came. The sockets' own timeout
        # is the deadline too: on a busy machine it may fire before the timer's thread runs.
        if conn.cut.is_set() or time.monotonic() - began >= deadline:
            conn.close()
            raise WebhookUnreachable(DEADLINE_EXCEEDED)
        if reusable:
            self.outbound.keep(key, conn)
        else:
            conn.close()
        if status is None or (whole and failure):
            raise WebhookUnreachable(failure or UNREACHABLE)
        if whole and len(answer) > limit:
            raise DocumentTooLarge(str(limit))
        return Answer(status, reason, got, answer)


# Why a request got no whole answer, by its error: the first that fits names it (the order
# matters: a certificate's failure is a TLS error, and both are OSErrors).
_CAUSES: tuple[tuple[type[Exception] | tuple[type[Exception], ...], str], ...] = (
    (ssl.SSLCertVerificationError, TLS_VERIFICATION_FAILED),
    (ssl.SSLError, TLS_FAILED),
    (ConnectionRefusedError, CONNECTION_REFUSED),
    (TimeoutError, DEADLINE_EXCEEDED),  # the sockets' timeout is the deadline
    # RemoteDisconnected is a ConnectionError, as a reset and a broken pipe are
    ((ConnectionError, http.client.IncompleteRead), CONNECTION_CLOSED),
    (http.client.HTTPException, NOT_HTTP),
    (socket.gaierror, HOST_NOT_RESOLVED),
    (ValueError, INVALID_URL),
)


def _cause(error: Exception) -> str:
    """The name of why a request got no whole answer (application/outbound.py)."""
    return next((cause for kinds, cause in _CAUSES if isinstance(error, kinds)), UNREACHABLE)


def _read_answer(response: http.client.HTTPResponse, limit: int) -> tuple[bytes, bool]:
    """At most ``limit`` + 1 bytes of the body, and True if it ended within ``limit`` and the
    connection may carry the next request."""
    chunks: list[bytes] = []
    read = 0
    while read <= limit:
        chunk = response.read(min(8192, limit + 1 - read))
        if not chunk:
            if response.length:  # the connection closed short of its Content-Length
                raise http.client.IncompleteRead(b"".join(chunks), response.length)
            return b"".join(chunks), not response.will_close
        chunks.append(chunk)
        read += len(chunk)
    return b"".join(chunks), False


class SocketHostResolver:
    def addresses(self, host: str) -> list[str]:
        try:
            found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            return []
        return sorted({str(info[4][0]) for info in found})
