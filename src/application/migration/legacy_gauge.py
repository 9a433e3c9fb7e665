"""``firegate_legacy_accounts_remaining``: the accounts still ``legacy``, counted by one count
aggregation at most once a minute per process, never on a scrape's own time
(docs/operations.md, "Metrics"; docs/decisions/0576-legacy-accounts-counted.md)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from application.metrics import LEGACY_ACCOUNTS
from application.ports import Clock, Metrics

log = logging.getLogger("firegate.migration")

COUNTED_EVERY = timedelta(minutes=1)


class LegacyGauge:
    """Sets the gauge from ``count`` when the last count is ``every`` old; ``refresh`` is
    called after requests (the shell's), and costs a lock and a comparison when not due. A
    failed count leaves the last value and is tried again a minute later."""

    def __init__(
        self,
        count: Callable[[], int],
        metrics: Metrics,
        clock: Clock,
        every: timedelta = COUNTED_EVERY,
    ) -> None:
        self._count, self._metrics, self._clock, self._every = count, metrics, clock, every
        self._lock = threading.Lock()
        self._due: datetime | None = None  # None: never counted

    def refresh(self) -> None:
        now = self._clock.now()
        with self._lock:
            if self._due is not None and now < self._due:
                return
            self._due = now + self._every  # one counter per minute, the others go on
        try:
            remaining = self._count()
        except Exception:
            log.warning("the legacy accounts were not counted", exc_info=True)
            return
        self._metrics.set(LEGACY_ACCOUNTS, remaining)
