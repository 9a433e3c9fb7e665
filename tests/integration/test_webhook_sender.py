"""The webhook sender against local receivers over HTTP and HTTPS: it connects to the address
it is given, never to what the host resolves to again, and checks the certificate against
the URL's host (docs/security.md, "Webhooks")."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from application.outbound import DEADLINE_EXCEEDED, DocumentTooLarge, WebhookUnreachable
from infrastructure.outbound_http import MAX_ANSWER_BYTES, Outbound
from tests.support.local_servers import in_thread

pytestmark = pytest.mark.integration
HOST = "receiver.invalid"  # never resolves (RFC 2606): only the given address is reached


class Receiver(ThreadingHTTPServer):
    seen: list[tuple[str, str, bytes]]
    peers: list[int]  # the client's port of each POST: one per connection
    answer_bytes: int = 2


class Handler(BaseHTTPRequestHandler):
    server: Receiver
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.seen.append((self.headers["Host"], self.path, body))
        self.server.peers.append(self.client_address[1])
        answer = b"x" * self.server.answer_bytes
        self.send_response(202)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def do_GET(self) -> None:
        """/document: ``answer_bytes`` of x; /moved: a redirect to it; anything else 404."""
        self.server.seen.append((self.headers["Host"], self.path, b""))
        status = {"/document": 200, "/moved": 302}.get(self.path, 404)
        answer = b"x" * self.server.answer_bytes if status == 200 else b""
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "/document")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def receiver(tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    server = Receiver(("127.0.0.1", 0), Handler)
    server.seen, server.peers = [], []
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    with in_thread(server):
        yield server


def certificate_for(name: str, folder: Path) -> tuple[ssl.SSLContext, str]:
    """A self-signed certificate for ``name``: the server's context, and the CA file that
    trusts it."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, str(cert_file)


def test_a_document_is_fetched_pinned_within_its_limit_and_no_redirect_is_followed() -> None:
    """What an IdP's metadata URL is fetched with (tests/fakes/sso.py ``FakeDocumentGetter``
    answers the same way): the body of a 200 up to the limit, nothing else."""
    sender = Outbound().sender(5)
    with receiver() as server:
        port = server.server_address[1]
        server.answer_bytes = 1000
        got = sender.get(f"http://{HOST}:{port}/document", "127.0.0.1", limit=1000)
        assert got == b"x" * 1000
        with pytest.raises(DocumentTooLarge):
            sender.get(f"http://{HOST}:{port}/document", "127.0.0.1", limit=999)
        for path, reason in (("/moved", "redirect"), ("/gone", "status_404")):
            with pytest.raises(WebhookUnreachable, match=reason):
                sender.get(f"http://{HOST}:{port}{path}", "127.0.0.1", limit=1000)
        server.answer_bytes = 300 * 1024  # read no further than the limit, then closed
        with pytest.raises(DocumentTooLarge):
            sender.get(f"http://{HOST}:{port}/document", "127.0.0.1", limit=256 * 1024)
    # Only the pinned address was ever reached, never the redirect's target.
    assert [path for _, path, _ in server.seen] == [
        "/document",
        "/document",
        "/moved",
        "/gone",
        "/document",
    ]
    assert {host for host, _, _ in server.seen} == {f"{HOST}:{port}"}


def test_it_connects_to_the_given_address_with_the_urls_host() -> None:
    sender = Outbound().sender(5)
    with receiver() as server:
        port = server.server_address[1]
        url = f"http://{HOST}:{port}/in?topic=users"
        for n in range(2):
            status = sender.post(url, f'{{"n": {n}}}', {"webhook-id": "m"}, "127.0.0.1")
            assert status == 202
    assert server.seen == [
        (f"{HOST}:{port}", "/in?topic=users", b'{"n": 0}'),
        (f"{HOST}:{port}", "/in?topic=users", b'{"n": 1}'),
    ]


def test_the_senders_of_one_client_share_its_kept_connections() -> None:
    """The platform's client gives each caller a sender of its own deadline (a webhook's,
    an auth hook's): one pool of kept connections, whichever sends; another client's sender
    connects anew (docs/decisions/0725-one-outbound-client-made-by-the-platform.md)."""
    outbound = Outbound()
    webhooks, hooks = outbound.sender(5), outbound.sender(10)
    with receiver() as server:
        url = f"http://{HOST}:{server.server_address[1]}/in"
        assert webhooks.post(url, "{}", {}, "127.0.0.1") == 202
        assert hooks.post(url, "{}", {}, "127.0.0.1") == 202
        assert webhooks.post(url, "{}", {}, "127.0.0.1") == 202
        assert Outbound().sender(5).post(url, "{}", {}, "127.0.0.1") == 202
    first, again, third, apart = server.peers
    assert first == again == third != apart


def test_without_an_address_a_host_that_does_not_resolve_is_unreachable() -> None:
    with receiver() as server, pytest.raises(WebhookUnreachable):
        Outbound().sender(5).post(f"http://{HOST}:{server.server_address[1]}/in", "{}", {})


def test_over_tls_the_certificate_is_checked_against_the_urls_host(tmp_path: Path) -> None:
    context, ca_file = certificate_for(HOST, tmp_path)
    sender = Outbound(ca_file).sender(5)
    with receiver(context) as server:
        port = server.server_address[1]
        assert sender.post(f"https://{HOST}:{port}/in", "{}", {}, "127.0.0.1") == 202
        # The same address under another name: its certificate does not name that host.
        with pytest.raises(WebhookUnreachable):
            sender.post(f"https://other.invalid:{port}/in", "{}", {}, "127.0.0.1")
    assert [host for host, _, _ in server.seen] == [f"{HOST}:{port}"]


def test_an_untrusted_certificate_is_unreachable(tmp_path: Path) -> None:
    context, _ = certificate_for(HOST, tmp_path)
    with receiver(context) as server, pytest.raises(WebhookUnreachable):
        Outbound().sender(5).post(
            f"https://{HOST}:{server.server_address[1]}/in", "{}", {}, "127.0.0.1"
        )


def test_a_long_answer_is_cut_and_its_status_kept() -> None:
    sender = Outbound().sender(5)
    with receiver() as server:
        server.answer_bytes = MAX_ANSWER_BYTES * 4
        url = f"http://{HOST}:{server.server_address[1]}/in"
        assert sender.post(url, "{}", {}, "127.0.0.1") == 202
        server.answer_bytes = 2
        assert sender.post(url, "{}", {}, "127.0.0.1") == 202  # a new connection
    assert len(server.seen) == 2


# -- the deadline of an attempt -------------------------------------------------------------

DEADLINE = 0.5  # seconds; every receiver below would hold the sender for minutes otherwise


@contextmanager
def socket_receiver(answer: Callable[[socket.socket], None]) -> Iterator[tuple[int, list[int]]]:
    """A receiver that reads a request and then calls ``answer`` with the connection; yields
    its port and a list ``answer`` may record counts in."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    counts: list[int] = []

    def handle(conn: socket.socket) -> None:
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                request += chunk
            with suppress(OSError):
                answer(conn)

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield server.getsockname()[1], counts
    finally:
        stop.set()
        server.close()


def drip(head: bytes, then: bytes, every: float = 0.05) -> Callable[[socket.socket], None]:
    def answer(conn: socket.socket) -> None:
        conn.sendall(head)
        for byte in then:
            time.sleep(every)
            conn.sendall(bytes([byte]))

    return answer


def silent(conn: socket.socket) -> None:
    time.sleep(30)


@pytest.mark.parametrize(
    ("scheme", "answer"),
    [
        ("http", drip(b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"a" * 10_000)),  # the headers
        ("http", drip(b"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n", b"a" * 2000)),  # body
        ("http", drip(b"", b"HTTP/1.1 200 OK\r\n")),  # the status line
        ("http", silent),
        ("https", silent),  # the TLS handshake never ends
    ],
    ids=["headers", "body", "status-line", "silent", "silent-tls"],
)
def test_an_attempt_ends_at_its_deadline_however_slowly_bytes_come(
    scheme: str, answer: Callable[[socket.socket], None]
) -> None:
    sender = Outbound().sender(DEADLINE)
    with socket_receiver(answer) as (port, _):
        started = time.monotonic()
        with pytest.raises(WebhookUnreachable) as failed:
            sender.post(f"{scheme}://{HOST}:{port}/in", "{}", {}, "127.0.0.1")
        took = time.monotonic() - started
    assert str(failed.value) == DEADLINE_EXCEEDED
    # Each byte came well within any per-read timeout: the deadline ended it (a generous bound,
    # for a loaded machine: docs/decisions/0341).
    assert DEADLINE <= took < DEADLINE + 10


def test_at_most_a_few_kib_of_the_body_are_read() -> None:
    chunk = b"a" * 1024

    def endless(conn: socket.socket) -> None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n")
        sent = 0
        try:
            while True:
                conn.sendall(chunk)
                sent += 1
                time.sleep(0.02)
        finally:
            counts.append(sent)

    with socket_receiver(endless) as (port, counts):
        status = Outbound().sender(5).post(f"http://{HOST}:{port}/in", "{}", {}, "127.0.0.1")
        while not counts:
            time.sleep(0.01)
    assert status == 200  # the status within the deadline: the answer, its body cut short
    assert MAX_ANSWER_BYTES <= 4096 and counts[0] < 30  # not the 250 chunks of 5 s


def test_a_request_of_its_own_deadline_is_cut_there_not_at_the_senders() -> None:
    """An auth hook's ``timeout_ms`` (docs/hooks.md): the sender's own deadline is a minute,
    the request's a fifth of a second: a silent receiver fails it as a deadline."""
    sender = Outbound().sender(60)
    with socket_receiver(silent) as (port, _), pytest.raises(WebhookUnreachable) as failed:
        sender.exchange(
            "POST",
            f"http://{HOST}:{port}/in",
            b"{}",
            {},
            address="127.0.0.1",
            limit=10,
            timeout=0.2,
        )
    assert str(failed.value) == DEADLINE_EXCEEDED
