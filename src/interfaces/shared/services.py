"""How a request finds the use cases: the ``Services`` bootstrap bound, or the
``LazyServices`` that bind them on first use. ``Services`` itself lives in
application/services.py, where every driving adapter can import it."""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence

from flask import current_app

from application.ports import RequestCounter
from application.services import Services
from domain.request_limits import WindowCounts


class LazyServices:
    """Services bound on first use: binding them is much of a cold start, which /healthz need
    not wait for (docs/benchmarks.md, "Cold start"). ``warm_up`` binds them on a background
    thread and opens the connection to Firestore, so the first real request seldom waits
    either."""

    def __init__(self, bind: Callable[[], Services]) -> None:
        self._bind = bind
        self._lock = threading.Lock()
        self._services: Services | None = None

    def get(self) -> Services:
        found = self._services
        if found is None:
            with self._lock:  # one binding, however many requests arrive first
                if self._services is None:
                    self._services = self._bind()
                found = self._services
        return found

    @property
    def request_counter(self) -> RequestCounter:
        """The request counter, found when first counted with."""
        return _LateCounter(self)

    def warm_up(
        self,
        *,
        fatal: bool = False,
        resume_gc: bool = False,
        started: Callable[[], None] | None = None,
    ) -> threading.Thread:
        """Bind on a background thread. ``fatal``: a binding that fails (no credentials, say)
        ends the process with gunicorn's "worker failed to boot" status, which stops the
        server as a failure at start-up would. ``resume_gc``: the cyclic garbage collector,
        which the caller disabled for the start, is enabled again (``resume_collecting``)
        once the binding is done or has failed. ``started``: called once the services are
        bound and Firestore probed (a failure of its own is logged, never fatal)."""

        def run() -> None:
            try:
                # Binding imports the adapters; the probe opens the connection to Firestore
                # that the first authenticated request would otherwise wait for (its REST
                # connection: the client library and its gRPC channel wait for their first
                # use, docs/decisions/0432-the-cloud-sdk-on-first-use.md).
                try:
                    bound = self.get()
                finally:
                    if resume_gc:
                        resume_collecting()
                patiently_ready(bound.warm_up_probe or bound.ready, WARM_UP_PATIENCE)
            except Exception:  # without ``fatal``, the first request that needs them raises
                logging.getLogger("firegate").exception("binding the services failed")
                if fatal:
                    logging.shutdown()
                    os._exit(WORKER_BOOT_ERROR)
                return
            if started is not None:
                try:
                    started()
                except Exception:
                    logging.getLogger("firegate").exception("after the warm-up")

        thread = threading.Thread(target=run, name="firegate-warm-up", daemon=True)
        thread.start()
        return thread


def resume_collecting() -> None:
    """Enable the cyclic garbage collector again after a start without it, the objects made
    so far moved out of its reach first (``gc.freeze``): they live as long as the process,
    and a first pass over them all (about 150,000, 30-50 ms) would fall on the first
    requests. The few cycles a start drops (about 180 KB) stay, once per process
    (docs/decisions/0443-a-workers-start-without-detours.md)."""
    gc.freeze()
    gc.enable()


WORKER_BOOT_ERROR = 3  # gunicorn's Arbiter.WORKER_BOOT_ERROR: the arbiter halts on it
# How long the warm-up probes Firestore before it says it did not answer: an emulator started
# a moment ago (a cold JVM, `make run`'s first screen) or a channel's first connection on a
# busy machine can take several of the probe's 2-second attempts.
WARM_UP_PATIENCE = 30.0
WARM_UP_PAUSE = 0.5


def patiently_ready(
    ready: Callable[[], bool], patience: float, pause: float = WARM_UP_PAUSE
) -> bool:
    """Probe with ``ready`` until it answers True or ``patience`` seconds have passed. The
    attempts before the last are quiet (what they log below ERROR, on this thread, is
    dropped): only a real timeout warns, once, with the last attempt's own words."""
    deadline = time.monotonic() + patience
    quiet = _ThisThreadQuiet()
    logger = logging.getLogger("firegate")
    logger.addFilter(quiet)
    try:
        while time.monotonic() < deadline:
            if ready():
                return True
            time.sleep(pause)
    finally:
        logger.removeFilter(quiet)
    return ready()


class _ThisThreadQuiet(logging.Filter):
    """Drops the records below ERROR that the thread that made it logs."""

    def __init__(self) -> None:
        super().__init__()
        self._thread = threading.get_ident()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread != self._thread or record.levelno >= logging.ERROR


class _LateCounter:
    def __init__(self, lazy: LazyServices) -> None:
        self._lazy = lazy

    def hit(self, key: str, windows: Sequence[int], now: float) -> dict[int, WindowCounts]:
        return self._lazy.get().request_counter.hit(key, windows, now)

    def check(self) -> bool:
        return self._lazy.get().request_counter.check()


def services() -> Services:
    found: Services | LazyServices = current_app.extensions["firegate"]
    return found.get() if isinstance(found, LazyServices) else found
