"""Request counters in this process's memory (``memory://``), and the stand-in that keeps a
shared store's place while that store does not answer (docs/operations.md)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from application.ports import RequestCounter
from domain.request_limits import WindowCounts, window_number

log = logging.getLogger("firegate.limits")
# While the shared store is down, look at it again after 1, 2, 4 ... 32 seconds, then anew.
RECHECK_SECONDS = (1, 2, 4, 8, 16, 32)
PRUNE_EVERY = 10_000  # counted requests between sweeps of windows nobody needs any more


class InMemoryRequestCounter:
    """Counts in one process: each gunicorn worker and each instance counts on its own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int, int], int] = {}  # (key, seconds, window) -> count
        self._hits = 0

    def hit(self, key: str, windows: Sequence[int], now: float) -> dict[int, WindowCounts]:
        found: dict[int, WindowCounts] = {}
        with self._lock:
            self._hits += 1
            if self._hits % PRUNE_EVERY == 0:
                self._prune(now)
            for seconds in windows:
                number = window_number(now, seconds)
                current = self._counts.get((key, seconds, number), 0) + 1
                self._counts[key, seconds, number] = current
                previous = self._counts.get((key, seconds, number - 1), 0)
                found[seconds] = WindowCounts(previous, current)
        return found

    def check(self) -> bool:
        return True

    def _prune(self, now: float) -> None:
        stale = [
            entry
            for entry in self._counts
            if entry[2] < window_number(now, entry[1]) - 1  # no longer even the previous one
        ]
        for entry in stale:
            del self._counts[entry]


class FallbackRequestCounter:
    """A shared store, replaced by ``local`` while it fails; looked at again after a while."""

    def __init__(
        self,
        shared: RequestCounter,
        local: RequestCounter,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.shared = shared
        self._local = local
        self._clock = clock
        self._lock = threading.Lock()
        self._down = False
        self._rechecks = 0
        self._next_check = 0.0

    def hit(self, key: str, windows: Sequence[int], now: float) -> dict[int, WindowCounts]:
        if self._down and not self._shared_is_back():
            return self._local.hit(key, windows, now)
        try:
            return self.shared.hit(key, windows, now)
        except Exception as exc:  # whatever the store raised, requests go on
            with self._lock:
                if not self._down:
                    log.warning(
                        "rate limit store unreachable (%s): limiting in memory meanwhile",
                        type(exc).__name__,
                    )
                self._down, self._rechecks = True, 0
                self._next_check = self._clock() + RECHECK_SECONDS[0]
            return self._local.hit(key, windows, now)

    def check(self) -> bool:
        return self.shared.check()

    def _shared_is_back(self) -> bool:
        with self._lock:
            now = self._clock()
            if now < self._next_check:
                return False
            self._rechecks = (self._rechecks + 1) % len(RECHECK_SECONDS)
            self._next_check = now + RECHECK_SECONDS[self._rechecks]
        try:
            back = self.shared.check()
        except Exception:  # a failing check is a "no"
            back = False
        if back:
            with self._lock:
                if self._down:
                    log.info("rate limit store reachable again")
                self._down = False
        return back
