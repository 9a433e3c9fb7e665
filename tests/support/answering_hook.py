"""A hook receiver as an operator would write one: a small HTTP server (port 0) that checks
each call's signature with the ``standardwebhooks`` package and answers with JSON, after a
pause when ``delay`` is set (docs/hooks.md)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook

from tests.support.local_servers import in_thread, send_json


@dataclass
class AnsweringHook:
    """Answers every POST with ``status`` and ``answer`` as JSON, ``delay`` seconds later;
    ``payloads`` holds each verified payload, ``unverified`` counts the calls whose signature
    did not check out with ``secret``."""

    url: str = ""
    secret: str = ""
    answer: Any = field(default_factory=dict)
    status: int = 200
    delay: float = 0.0
    payloads: list[dict[str, Any]] = field(default_factory=list)
    unverified: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def kinds(self) -> list[str]:
        with self.lock:
            return [str(p.get("token_kind") or p.get("kind")) for p in self.payloads]


@contextlib.contextmanager
def answering_hook() -> Iterator[AnsweringHook]:
    state = AnsweringHook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                payload = Webhook(state.secret).verify(body, headers)
            except Exception:  # any refusal of the library: not signed by us
                with state.lock:
                    state.unverified += 1
                payload = None
            if payload is not None:
                with state.lock:
                    state.payloads.append(payload)
            time.sleep(state.delay)
            with contextlib.suppress(OSError):  # the caller gave up at its deadline
                send_json(self, state.status, state.answer)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    with in_thread(server):
        yield state
