"""Local HTTP servers for the tests, run in a thread of the test's process."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import BaseServer


def send_json(handler: BaseHTTPRequestHandler, status: int, body: object) -> None:
    """``body`` as a JSON answer of ``status`` from a handler of a server below."""
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def send_text(handler: BaseHTTPRequestHandler, body: str, content_type: str) -> None:
    """``body`` as a 200 answer of ``content_type`` from a handler of a server below."""
    data = body.encode()
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


@contextlib.contextmanager
def in_thread(server: BaseServer) -> Iterator[None]:
    """``server`` answers in a daemon thread until the block ends, then is closed."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def another_site(html: str) -> Iterator[str]:
    """``html`` served at http://localhost:<port>/, another site than the service's
    127.0.0.1 (another host is another site to the browser's cookies)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            send_text(self, html, "text/html; charset=utf-8")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with in_thread(server):
        yield f"http://localhost:{server.server_address[1]}/"
