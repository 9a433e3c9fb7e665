"""A receiver of auth hooks as an operator would write one: a small HTTP server on a free port
that verifies each call's signature with the ``standardwebhooks`` package and answers what
the test says (docs/hooks.md). Shared by the tests of every hook kind."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.support.local_servers import in_thread, send_json

# What the receiver answers a verified call: a JSON document (200), or (status, document),
# or raw bytes (200, as they are).
Answer = dict[str, Any] | tuple[int, Any] | bytes


@dataclass
class HookReceiver:
    """``url`` takes calls; ``secret`` is set once the hook is made (calls before that, or
    with a wrong signature, are answered 401 and kept in ``refused``). ``answer`` makes the
    answer of each verified payload; ``delay`` seconds pass before it is sent."""

    url: str = ""
    secret: str | None = None
    answer: Callable[[dict[str, Any]], Answer] = lambda payload: {}
    delay: float = 0.0
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def verified(self, body: bytes, headers: dict[str, str]) -> dict[str, Any] | None:
        if self.secret is None:
            return None
        try:
            payload: dict[str, Any] = Webhook(self.secret).verify(body.decode(), headers)
        except WebhookVerificationError as error:
            with self.lock:
                self.refused.append(str(error))
            return None
        with self.lock:
            self.received.append(payload)
        return payload

    def calls(self, to: str | None = None, count: int = 1) -> list[dict[str, Any]]:
        """The verified calls (those whose ``to`` is ``to``, when given), once ``count`` of
        them came; fails after 30 seconds, naming the refused ones."""
        deadline = time.monotonic() + 30
        while True:
            with self.lock:
                found = [call for call in self.received if to is None or call.get("to") == to]
            if len(found) >= count:
                return found
            assert time.monotonic() < deadline, self.refused
            time.sleep(0.05)


@contextlib.contextmanager
def hook_receiver(path: str = "/hook") -> Iterator[HookReceiver]:
    """A receiver at http://127.0.0.1:<free port>``path`` until the block ends."""
    receiver = HookReceiver()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            payload = receiver.verified(body, headers)
            if payload is None:
                send_json(self, 401, {"error": "bad signature"})
                return
            if receiver.delay:
                time.sleep(receiver.delay)
            answer = receiver.answer(payload)
            with contextlib.suppress(OSError):  # the caller may have given up already
                if isinstance(answer, bytes):
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                elif isinstance(answer, tuple):
                    send_json(self, answer[0], answer[1])
                else:
                    send_json(self, 200, answer)

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 128  # thirty sign-ups at once connect at once

    server = Server(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    with in_thread(server):
        yield receiver
