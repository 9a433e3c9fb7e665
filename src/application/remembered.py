"""A bounded table of values each kept until a deadline of its own: verified tokens until
their ``exp``, rendered pages for as long as the process runs; and one value a process reads
again at most once per a time to live (``KeptCopy``)."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from application.ports import Clock

K = TypeVar("K")
V = TypeVar("V")


class Remembered[K, V]:
    """At most ``size`` values, the oldest put dropped first to make room. A lookup takes no
    lock (a dict's get is atomic); writers take turns."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: dict[K, tuple[V, float]] = {}
        self._writing = threading.Lock()

    def get(self, key: K, now: float = 0.0) -> V | None:
        """The value kept for ``key`` while ``now`` is before its deadline, else None."""
        kept = self._kept.get(key)
        return kept[0] if kept is not None and now < kept[1] else None

    def put(self, key: K, value: V, until: float = math.inf) -> None:
        with self._writing:
            self._kept.pop(key, None)
            while len(self._kept) >= self.size:
                del self._kept[next(iter(self._kept))]
            self._kept[key] = (value, until)

    def __len__(self) -> int:
        return len(self._kept)


class KeptCopy[V]:
    """What ``read`` returns, read again at most once per ``ttl`` seconds per process; a
    change made in this process drops the copy (``drop``). On a failed read, a copy that
    has expired is kept (and ``log`` warns that ``what`` was not read); with no copy, the
    error is raised."""

    def __init__(
        self,
        read: Callable[[], V],
        *,
        clock: Clock,
        ttl: float,
        log: logging.Logger,
        what: str,
    ) -> None:
        self._read, self._clock, self._ttl = read, clock, timedelta(seconds=ttl)
        self._log, self._what = log, what
        self._lock = threading.Lock()
        self._copy: tuple[V, datetime] | None = None

    def get(self) -> V:
        now = self._clock.now()
        with self._lock:
            copy = self._copy
        if copy is not None and now - copy[1] < self._ttl:
            return copy[0]
        try:
            fresh = self._read()
        except Exception:
            if copy is None:
                raise
            self._log.warning("%s not read; the last copy is used", self._what)
            return copy[0]
        with self._lock:
            self._copy = (fresh, now)
        return fresh

    def drop(self) -> None:
        with self._lock:
            self._copy = None
