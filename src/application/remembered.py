"""A bounded table of values each kept until a deadline of its own: verified tokens until
their ``exp``, rendered pages for as long as the process runs."""

from __future__ import annotations

import math
import threading
from typing import TypeVar

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
