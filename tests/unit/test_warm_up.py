"""A worker's warm-up (interfaces/shared/services.py): a Firestore that answers only some
seconds after the worker starts -- an emulator started a moment before, as on `make run`'s
first screen -- is waited for quietly; only a real timeout warns, once."""

from __future__ import annotations

import logging
import socket
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any, cast

import pytest

from application.services import Services
from interfaces.shared.services import LazyServices, patiently_ready

pytestmark = pytest.mark.unit

log = logging.getLogger("firegate")
FAILED = "readiness check failed: Firestore did not answer"


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"Ok")

    def log_message(self, format: str, *args: Any) -> None:
        return None


class LateServer:
    """A server on a port chosen now that starts answering ``delay`` seconds later."""

    def __init__(self, delay: float) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}/"
        self.running: ThreadingHTTPServer | None = None
        self._timer = threading.Timer(delay, self._serve)
        self._timer.start()

    def _serve(self) -> None:
        self.running = ThreadingHTTPServer(("127.0.0.1", self.port), _Ok)
        threading.Thread(target=self.running.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self._timer.cancel()
        self._timer.join()
        if self.running is not None:
            self.running.shutdown()
            self.running.server_close()

    def probe(self) -> bool:
        """As the real probe: False and a warning when the server does not answer."""
        try:
            with urllib.request.urlopen(self.url, timeout=1.0) as answer:
                return bool(answer.status == 200)
        except OSError:
            log.warning(FAILED)
            return False


@pytest.fixture
def late_server() -> Iterator[LateServer]:
    server = LateServer(delay=1.5)
    yield server
    server.close()


def test_the_warm_up_waits_quietly_for_a_firestore_that_answers_late(
    late_server: LateServer, caplog: pytest.LogCaptureFixture
) -> None:
    probes: list[bool] = []

    def ready() -> bool:
        probes.append(late_server.probe())
        return probes[-1]

    lazy = LazyServices(lambda: cast(Services, SimpleNamespace(ready=ready, warm_up_probe=None)))
    with caplog.at_level(logging.INFO, logger="firegate"):
        lazy.warm_up().join(timeout=30)
    assert probes[-1] is True and probes.count(False) >= 1
    assert FAILED not in caplog.text


def test_a_real_timeout_warns_once_and_other_threads_logs_are_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    said_elsewhere = threading.Event()

    def ready() -> bool:
        log.warning(FAILED)
        return False

    def elsewhere() -> None:
        log.warning("a request's own warning")
        said_elsewhere.set()

    with caplog.at_level(logging.INFO, logger="firegate"):
        threading.Timer(0.1, elsewhere).start()
        assert patiently_ready(ready, patience=0.5, pause=0.05) is False
    assert said_elsewhere.is_set()
    assert caplog.text.count(FAILED) == 1
    assert "a request's own warning" in caplog.text
