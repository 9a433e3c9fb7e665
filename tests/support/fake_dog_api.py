"""A local stand-in for the Dog CEO API: an http.server on 127.0.0.1 in a thread.

Tests choose its answer with ``server.mode`` (see ``_Handler.do_GET``) and read
``server.requests`` (the paths it was asked for).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.local_servers import in_thread

PICTURE = "https://images.dog.ceo/breeds/hound-afghan/n02088094_1003.jpg"


class FakeDogApi(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = "ok"
        self.picture: Any = PICTURE
        self.requests: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api/breeds/image/random"

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up on a huge or slow answer is what some tests want


class _Handler(BaseHTTPRequestHandler):
    server: FakeDogApi

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        mode = self.server.mode
        if mode == "ok":
            body = {"message": self.server.picture, "status": "success"}
            self._send(200, json.dumps(body).encode(), {"Content-Type": "application/json"})
        elif mode == "error":
            self._send(500, b'{"status": "error"}')
        elif mode == "malformed":
            self._send(200, b'{"message": "https://images.dog.ceo/x.jpg", "status"')
        elif mode == "huge":
            self._send(200, b'{"message": "' + b"x" * 5_000_000 + b'"}')
        elif mode == "huge-chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"x" * 65_536
            with contextlib.suppress(OSError):
                for _ in range(80):  # 5 MiB unless the client hangs up first
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
        elif mode == "slow":
            time.sleep(2)
            self._send(200, b"{}")
        elif mode == "drip":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            with contextlib.suppress(OSError):
                for _ in range(100):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.1)
        elif mode.startswith("redirect:"):
            self._send(302, b"", {"Location": mode.removeprefix("redirect:")})
        else:
            raise AssertionError(f"unknown mode {mode}")


@contextlib.contextmanager
def running() -> Iterator[FakeDogApi]:
    server = FakeDogApi()
    with in_thread(server):
        yield server
