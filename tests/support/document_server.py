"""A CA made by the test, and an https server whose certificate it signed, serving client
metadata documents (docs/agents-and-clis.md, "Agents with a client metadata document"): what
each path answers, how slowly, and every connection it saw."""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.local_servers import in_thread

_PEM = serialization.Encoding.PEM


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


class TestCa:
    """A CA of the test's own, as an enterprise's: ``ca_file`` is the bundle that trusts it
    (``SSL_CERT_FILE``), and nothing else."""

    __test__ = False  # not a test class

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(_name("firegate test CA"))
            .issuer_name(_name("firegate test CA"))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False
            )
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(self.key, hashes.SHA256())
        )
        self.ca_file = str(folder / "test-ca.pem")
        Path(self.ca_file).write_bytes(self.cert.public_bytes(_PEM))

    def server_context(self, *names: str) -> ssl.SSLContext:
        """A server's TLS context, its certificate (signed by this CA) for ``names`` and for
        127.0.0.1."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        alternatives: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
        alternatives.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(names[0] if names else "127.0.0.1"))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        stem = self.folder / f"server-{x509.random_serial_number()}"
        cert_file, key_file = stem.with_suffix(".pem"), stem.with_suffix(".key")
        cert_file.write_bytes(cert.public_bytes(_PEM))
        key_file.write_bytes(
            key.private_bytes(_PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        return context


@dataclass
class Served:
    """What a path answers: its status, headers and body, after ``delay`` seconds."""

    body: bytes = b""
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0


def served_json(document: object, *headers: tuple[str, str]) -> Served:
    return Served(
        json.dumps(document).encode(), 200, (("Content-Type", "application/json"), *headers)
    )


@dataclass
class Seen:
    """Each request: the address it came from and the path."""

    requests: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def paths(self, path: str) -> int:
        with self.lock:
            return sum(1 for _, seen in self.requests if seen == path)


class DocumentServer(ThreadingHTTPServer):
    daemon_threads = True
    paths: dict[str, Served]
    seen: Seen
    base: str  # https://localhost:<port>


class _Handler(BaseHTTPRequestHandler):
    server: DocumentServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        with self.server.seen.lock:
            self.server.seen.requests.append((self.client_address[0], path))
        answer = self.server.paths.get(path, Served(b"", 404))
        if answer.delay:
            time.sleep(answer.delay)
        self.send_response(answer.status)
        for name, value in answer.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def document_server(ca: TestCa, host: str = "localhost") -> Iterator[DocumentServer]:
    """An https server on 127.0.0.1 whose certificate ``ca`` signed for ``host``; its
    ``base`` is ``https://<host>:<port>``; ``paths`` says what each path answers."""
    server = DocumentServer(("127.0.0.1", 0), _Handler)
    server.paths, server.seen = {}, Seen()
    server.socket = ca.server_context(host).wrap_socket(server.socket, server_side=True)
    server.base = f"https://{host}:{server.server_address[1]}"
    with in_thread(server):
        yield server
