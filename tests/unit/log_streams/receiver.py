"""A log stream's receiver on this machine, as a SIEM's collector: it fails the first
``failing`` POSTs with 503, then takes each one, verified with the stream's signing secret
(the ``standardwebhooks`` package) or its Splunk HEC token."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.support.local_servers import in_thread, send_json


@dataclass
class Receiver:
    """Fails the first ``failing`` POSTs with 503, then takes each, verified by ``secret``
    (an https stream's) or by the ``token`` (a HEC's)."""

    url: str = ""
    secret: str = ""
    token: str = ""
    failing: int = 0
    bodies: list[tuple[str, str]] = field(default_factory=list)  # (path, body) taken
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        with self.lock:
            if self.failing > 0:
                self.failing -= 1
                return 503
            if self.secret:
                try:
                    Webhook(self.secret).verify(body.decode(), headers)
                except WebhookVerificationError:
                    return 401
            elif headers.get("authorization") != f"Splunk {self.token}":
                return 401
            self.bodies.append((path, body.decode()))
            return 200

    def ids(self) -> list[str]:
        """The ids of the events taken, in the order they came (an https stream's)."""
        with self.lock:
            return [event["id"] for _, body in self.bodies for event in json.loads(body)]


@contextlib.contextmanager
def receiving() -> Iterator[Receiver]:
    found = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            headers = {k.lower(): v for k, v in self.headers.items()}
            send_json(self, found.take(self.path, body, headers), {})

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    found.url = f"http://127.0.0.1:{server.server_address[1]}"
    with in_thread(server):
        yield found
