"""A worker's warm-up (interfaces/shared/services.py): a Firestore that answers only some
seconds after the worker starts -- an emulator started a moment before, as on `make run`'s
first screen -- is waited for quietly; only a real timeout warns, once."""

from __future__ import annotations

import gc
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
from bootstrap import build_app
from interfaces.shared.services import LazyServices, patiently_ready
from tests.support.app import fake_adapters
from tests.support.settings import make_settings

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


@pytest.fixture
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector disabled, as wsgi.py does for a worker's start; enabled
    again after the test whatever it did."""
    gc.disable()
    yield
    gc.enable()


def test_the_garbage_collector_is_enabled_again_once_the_services_are_bound(
    gc_paused: None,
) -> None:
    binding = threading.Event()
    seen: list[bool] = []

    def bind() -> Services:
        binding.wait(10)
        seen.append(gc.isenabled())  # still paused while binding
        return cast(Services, SimpleNamespace(ready=lambda: True, warm_up_probe=None))

    warm_up = LazyServices(bind).warm_up(resume_gc=True)
    assert not gc.isenabled()
    binding.set()
    warm_up.join(timeout=30)
    assert seen == [False] and gc.isenabled()


def test_and_when_the_binding_fails(gc_paused: None, caplog: pytest.LogCaptureFixture) -> None:
    def bind() -> Services:
        raise RuntimeError("no credentials")

    with caplog.at_level(logging.ERROR, logger="firegate"):
        LazyServices(bind).warm_up(resume_gc=True).join(timeout=30)
    assert gc.isenabled() and "binding the services failed" in caplog.text


def test_a_warm_up_not_asked_to_leaves_the_collector_alone(gc_paused: None) -> None:
    ready = SimpleNamespace(ready=lambda: True, warm_up_probe=None)
    LazyServices(lambda: cast(Services, ready)).warm_up().join(timeout=30)
    assert not gc.isenabled()


def test_an_app_bound_at_once_enables_the_collector_as_it_is_built(gc_paused: None) -> None:
    settings = make_settings()
    build_app(settings, fake_adapters(settings), configure_logs=False, resume_gc=True)
    assert gc.isenabled()


def test_started_is_called_once_the_services_are_bound_and_probed() -> None:
    order: list[str] = []

    def ready() -> bool:
        order.append("probed")
        return True

    def bind() -> Services:
        order.append("bound")
        return cast(Services, SimpleNamespace(ready=ready, warm_up_probe=None))

    LazyServices(bind).warm_up(started=lambda: order.append("started")).join(timeout=30)
    assert order == ["bound", "probed", "started"]


def test_started_is_not_called_when_the_binding_fails() -> None:
    called: list[bool] = []

    def bind() -> Services:
        raise RuntimeError("no credentials")

    LazyServices(bind).warm_up(started=lambda: called.append(True)).join(timeout=30)
    assert called == []


def test_a_failure_of_started_is_logged_and_the_worker_lives_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ready = cast(Services, SimpleNamespace(ready=lambda: True, warm_up_probe=None))

    def started() -> None:
        raise OSError("read-only file system")

    # fatal: a failing binding would end the process; a failing `started` must not
    with caplog.at_level(logging.ERROR, logger="firegate"):
        LazyServices(lambda: ready).warm_up(fatal=True, started=started).join(timeout=30)
    assert "after the warm-up" in caplog.text and "read-only file system" in caplog.text


def test_an_app_bound_at_once_calls_started_as_it_is_built() -> None:
    settings = make_settings()
    called: list[bool] = []
    build_app(
        settings, fake_adapters(settings), configure_logs=False, started=lambda: called.append(True)
    )
    assert called == [True]
