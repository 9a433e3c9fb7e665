"""An https server that gives what it gives a byte at a time, each well within any per-read
timeout, so that only a deadline on the whole exchange ends it (docs/security.md, "Outbound
calls"); its certificate is made by trustme, and the client trusts it through the CA file it
is handed, as ``SSL_CERT_FILE`` hands it (docs/configuration.md, "Service")."""

from __future__ import annotations

import queue
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import trustme

EVERY = 0.25  # seconds between two bytes
DRIPPED_FOR = 20.0  # seconds a drip lasts, then the server closes: a test ends on main too
# How a connection ended, as the server saw it: the client hung up while bytes were still
# coming, or the server gave all it had (or dripped for DRIPPED_FOR) first.
HUNG_UP = "the client hung up"
DRIPPED_OUT = "the server dripped to its end"

Answer = Callable[[socket.socket], None]


@dataclass(frozen=True)
class DrippingServer:
    """``port`` on 127.0.0.1, with a certificate for ``host``; ``ca_file`` trusts it;
    ``ends``: how each connection ended, in order (``HUNG_UP`` or ``DRIPPED_OUT``)."""

    host: str
    port: int
    ca_file: str
    ends: queue.Queue[str] = field(default_factory=queue.Queue)

    def next_end(self) -> str:
        """How the next connection to end ended, waiting for it: a cut call's connection ends
        with its next byte, one that is not cut with its drip (``DRIPPED_FOR``)."""
        return self.ends.get(timeout=DRIPPED_FOR + 30)

    def url(self, path: str = "/in") -> str:
        return f"https://{self.host}:{self.port}{path}"


def dripped(data: bytes, every: float = EVERY) -> Answer:
    """``data``, a byte every ``every`` seconds, for at most ``DRIPPED_FOR`` seconds."""

    def answer(conn: socket.socket) -> None:
        end = time.monotonic() + DRIPPED_FOR
        for byte in data:
            if time.monotonic() > end:
                return
            conn.sendall(bytes([byte]))
            time.sleep(every)

    return answer


def after_request(head: bytes, then: bytes) -> Answer:
    """Once the request has come: ``head`` at once, then ``then`` dripped."""
    drip = dripped(then)

    def answer(conn: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(65536)
            if not chunk:
                return
            request += chunk
        conn.sendall(head)
        drip(conn)

    return answer


# A TLS record of the handshake (type 22, TLS 1.2) 16 KiB long, whose bytes then come one
# by one: the client's handshake waits for the whole record, a byte every quarter second.
HANDSHAKE_RECORD = b"\x16\x03\x03\x40\x00"


def dripped_handshake(conn: socket.socket) -> None:
    conn.recv(65536)  # the ClientHello
    conn.sendall(HANDSHAKE_RECORD)
    dripped(b"\x02" * 16384)(conn)


@contextmanager
def dripping_server(
    folder: Path, answer: Answer, *, tls: bool = True, host: str = "receiver.invalid"
) -> Iterator[DrippingServer]:
    """A server answering each connection with ``answer``: after the TLS handshake (with a
    certificate for ``host`` and 127.0.0.1) when ``tls``, else on the bare connection (to
    drip the handshake itself)."""
    ca = trustme.CA()
    ca_file = folder / "dripping-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(host, "127.0.0.1").configure_cert(context)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    server = DrippingServer(host, listener.getsockname()[1], str(ca_file))

    def handle(conn: socket.socket) -> None:
        end = HUNG_UP  # a write to a connection the client closed fails (EPIPE, ECONNRESET)
        with suppress(OSError), conn:
            if tls:
                with context.wrap_socket(conn, server_side=True) as secured:
                    answer(secured)
            else:
                answer(conn)
            end = DRIPPED_OUT
        server.ends.put(end)

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield server
    finally:
        stop.set()
        listener.close()
