"""The REST reads' HTTP/1.1 connection (infrastructure/firestore/rest_http.py) against a
loopback server that answers with the exact bytes each case needs: each way a body can be
framed, kept-alive and closed connections, interim answers, and broken answers."""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
from collections.abc import Iterator
from typing import BinaryIO

import pytest

from infrastructure.firestore.rest_http import Connection

pytestmark = pytest.mark.unit


class Server:
    """Accepts one connection at a time; answers each request (read up to its body's end)
    with the next of ``answers``, closing the connection after those marked so."""

    def __init__(self) -> None:
        self.answers: list[tuple[bytes, bool]] = []
        self.requests: list[bytes] = []
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.host = f"127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):  # the listener closed: the test is over
            while True:
                conn, _ = self._listener.accept()
                self.connections += 1
                with conn, conn.makefile("rb") as reader:
                    self._answer(conn, reader)

    def _answer(self, conn: socket.socket, reader: BinaryIO) -> None:
        while self.answers:
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                line = reader.readline()
                if not line:
                    return
                head += line
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            self.requests.append(head + reader.read(length))
            answer, close = self.answers.pop(0)
            conn.sendall(answer)
            if close:
                return

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def server() -> Iterator[Server]:
    found = Server()
    yield found
    found.close()


def post(connection: Connection) -> tuple[int, bytes, bool]:
    return connection.post("/v1/x:batchGet", b'{"a": 1}', {"Content-Type": "application/json"})


def test_the_request_is_a_post_with_its_host_length_headers_and_body(server: Server) -> None:
    server.answers = [(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]", False)]
    assert post(Connection(server.host, timeout=2, tls=None)) == (200, b"[]", True)
    head, _, body = server.requests[0].partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /v1/x:batchGet HTTP/1.1"
    assert set(lines[1:]) == {
        f"Host: {server.host}".encode(),
        b"Content-Length: 8",
        b"Content-Type: application/json",
    }
    assert body == b'{"a": 1}'


def test_bodies_by_length_chunked_and_to_the_end(server: Server) -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3;ext=1\r\n[{}\r\n1\r\n]\r\n0\r\nX-Trailer: t\r\n\r\n"
    )
    server.answers = [
        (b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\n[1]", False),
        (chunked, False),
        (
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}",
            False,
        ),
        (b"HTTP/1.0 200 OK\r\n\r\n[2]", True),
    ]
    connection = Connection(server.host, timeout=2, tls=None)
    assert post(connection) == (200, b"[1]", True)
    assert post(connection) == (200, b"[{}]", True)
    assert post(connection) == (404, b"{}", True)
    assert post(connection) == (200, b"[2]", False)  # up to the end: not kept
    assert server.connections == 1


def test_an_answer_that_closes_is_not_kept(server: Server) -> None:
    server.answers = [
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n[]", True)
    ]
    assert post(Connection(server.host, timeout=2, tls=None)) == (200, b"[]", False)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (b"", http.client.RemoteDisconnected),  # a kept-alive connection closed meanwhile
        (b"SMTP ready\r\n\r\n", http.client.BadStatusLine),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n[]", http.client.IncompleteRead),
        (b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n[]", http.client.HTTPException),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", http.client.HTTPException),
        (b"HTTP/1.1 200 OK\r\nContent-Le", http.client.HTTPException),
    ],
)
def test_broken_answers_raise_http_client_s_errors(
    server: Server, answer: bytes, error: type[Exception]
) -> None:
    server.answers = [(answer, True)]
    with pytest.raises(error):
        post(Connection(server.host, timeout=2, tls=None))


def test_nothing_listening_is_an_os_error_on_the_first_request() -> None:
    with socket.create_server(("127.0.0.1", 0)) as unused:
        host = f"127.0.0.1:{unused.getsockname()[1]}"
    connection = Connection(host, timeout=2, tls=None)  # opening waits for the request
    with pytest.raises(ConnectionRefusedError):
        post(connection)
