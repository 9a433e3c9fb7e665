"""One kept-alive HTTP/1.1 connection for the REST reads (rest_reads.py): a POST of a JSON
body, its answer's status and body, and nothing else.

The standard library's ``http.client`` spent about 0.13 ms of CPU per request more than
this (its headers go through the ``email`` package's parser), on requests that cost 0.05 ms
here: a signed-in page makes five of them
(docs/decisions/0207-rest-reads-on-a-small-http-client.md). What the answers can be is
small and known (Firestore's front end, the emulator, a proxy in between): a body by
``Content-Length``, chunked, or up to the connection's end; a connection kept alive unless
the answer says ``close`` or is HTTP/1.0. Failures raise ``http.client``'s exceptions or
``OSError``, as ``http.client`` did, so the caller's handling is unchanged.
"""

from __future__ import annotations

import http.client
import io
import socket
import ssl
from collections.abc import Mapping
from urllib.parse import urlsplit

MAX_LINE = 65536  # as http.client's
MAX_HEADERS = 100  # as http.client's


class Connection:
    """A connection to ``host`` (``name`` or ``name:port``; 443 with TLS, else 80), opened
    on its first request."""

    def __init__(self, host: str, *, timeout: float, tls: ssl.SSLContext | None) -> None:
        parts = urlsplit("//" + host)
        self._address = (parts.hostname or host, parts.port or (443 if tls else 80))
        self._host = host
        self._timeout = timeout
        self._tls = tls
        self._socket: socket.socket | None = None
        self._file: io.BufferedReader | None = None

    def post(self, path: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes, bool]:
        """The answer's status and body, and whether this connection may carry another
        request."""
        sock, file = self._socket, self._file
        if sock is None or file is None:
            sock, file = self._open()
        lines = [f"POST {path} HTTP/1.1", f"Host: {self._host}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        while True:
            version, status = _status_line(file)
            fields = _headers(file)
            if not 100 <= status < 200:  # an interim answer (1xx): the real one follows
                break
        keep = version == "HTTP/1.1" and "close" not in fields.get("connection", "").lower()
        if "chunked" in fields.get("transfer-encoding", "").lower():
            return status, _chunked(file), keep
        if "content-length" in fields:
            try:
                length = int(fields["content-length"])
            except ValueError:
                raise http.client.HTTPException("a Content-Length that is not a number") from None
            return status, _exactly(file, length), keep
        return status, file.read(), False  # up to the end of the connection

    def close(self) -> None:
        file, sock = self._file, self._socket
        self._file = self._socket = None
        if file is not None:
            file.close()
        if sock is not None:
            sock.close()

    def _open(self) -> tuple[socket.socket, io.BufferedReader]:
        sock = socket.create_connection(self._address, timeout=self._timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_hostname=self._address[0])
        except BaseException:
            sock.close()
            raise
        self._socket, self._file = sock, sock.makefile("rb")
        return sock, self._file


def _line(file: io.BufferedReader) -> bytes:
    line = file.readline(MAX_LINE + 1)
    if len(line) > MAX_LINE:
        raise http.client.LineTooLong("an answer's line")
    return line


def _status_line(file: io.BufferedReader) -> tuple[str, int]:
    line = _line(file)
    if not line:  # a kept-alive connection the other side had closed
        raise http.client.RemoteDisconnected("the connection closed without an answer")
    version, _, rest = line.decode("latin-1").partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/1.") or not code.isdigit():
        raise http.client.BadStatusLine(line.decode("latin-1", "replace"))
    return version, int(code)


def _headers(file: io.BufferedReader) -> dict[str, str]:
    fields: dict[str, str] = {}
    for _ in range(MAX_HEADERS + 1):
        line = _line(file)
        if line in (b"\r\n", b"\n"):
            return fields
        if not line:
            raise http.client.IncompleteRead(b"")
        name, _, value = line.decode("latin-1").partition(":")
        fields[name.strip().lower()] = value.strip()
    raise http.client.HTTPException(f"more than {MAX_HEADERS} headers")


def _exactly(file: io.BufferedReader, length: int) -> bytes:
    data = file.read(length)
    if len(data) != length:
        raise http.client.IncompleteRead(data, length - len(data))
    return data


def _chunked(file: io.BufferedReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size_text = _line(file).split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise http.client.IncompleteRead(b"".join(parts)) from None
        if size == 0:
            while _line(file) not in (b"\r\n", b"\n", b""):  # trailers, if any
                pass
            return b"".join(parts)
        parts.append(_exactly(file, size))
        _exactly(file, 2)  # the chunk's CRLF
