"""Webhooks of the served service: a receiver, and an admin's calls over HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from standardwebhooks.webhooks import Webhook

from tests.support.api import PASSWORD
from tests.support.servers import cli


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str
    answered: int


@dataclass
class Receiver:
    """Answers each POST with ``answer(path, number)`` (the number of requests on that path
    so far, from 1); ``hold`` keeps the first request unanswered until ``release`` is set."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    answer: Callable[[str, int], int] = lambda path, number: 200
    hold: bool = False
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def wait_for(self, check: Callable[[], bool], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            assert time.monotonic() < deadline, f"not received in time: {self.received}"
            time.sleep(0.05)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            if state.hold and not state.held.is_set():
                state.held.set()
                state.release.wait(30)
                return  # the connection closes without an answer
            with state.lock:
                number = 1 + sum(1 for r in state.received if r.path == self.path)
                status = state.answer(self.path, number)
                headers = {k.lower(): v for k, v in self.headers.items()}
                state.received.append(Received(self.path, headers, body, status))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


def register(base: str, name: str) -> dict[str, Any]:
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    response = requests.post(f"{base}/register", json=body, timeout=30)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def login(base: str, name: str, password: str = PASSWORD) -> requests.Response:
    body = {"username": name, "password": password}
    return requests.post(f"{base}/login", json=body, timeout=30)


def admin_headers(base: str) -> dict[str, str]:
    register(base, "hookadmin")
    cli(["users", "set-role", "hookadmin", "admin"])
    token = login(base, "hookadmin").json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def create_webhook(base: str, admin: dict[str, str], url: str, *events: str) -> tuple[str, Webhook]:
    body = {"url": url, "events": list(events)}
    response = requests.post(f"{base}/admin/webhooks", json=body, headers=admin, timeout=30)
    assert response.status_code == 201, response.text
    created = response.json()
    return created["id"], Webhook(created["secret"])


def deliveries(base: str, admin: dict[str, str], webhook_id: str) -> list[dict[str, Any]]:
    url = f"{base}/admin/webhooks/{webhook_id}/deliveries?limit=100"
    items: list[dict[str, Any]] = requests.get(url, headers=admin, timeout=30).json()["items"]
    return items
