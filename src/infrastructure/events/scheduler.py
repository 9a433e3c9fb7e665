"""The webhook sweeper's timer, and any other periodic task of a process (the SSO
certificates' sweep): a daemon thread each (docs/reference/webhooks.md)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("firegate.webhooks")

# A periodic task's first round waits for at most this long (and for no longer than its
# interval): the first requests a server answers do not share its CPU with the sweeps, which
# import the client library (docs/benchmarks.md, "Cold start").
FIRST_ROUND_AFTER = 10.0


class ThreadScheduler:
    """A daemon thread per task, started in the process that asks (after gunicorn's fork)."""

    def __init__(self, first_round_after: float = FIRST_ROUND_AFTER) -> None:
        self._first_round_after = first_round_after

    def every(self, seconds: float, task: Callable[[], object]) -> None:
        first = min(seconds, self._first_round_after)

        def run() -> None:
            stop = threading.Event()
            stop.wait(first)
            while True:
                try:
                    task()
                except Exception:  # the next round tries again
                    log.warning("a periodic task failed", exc_info=True)
                stop.wait(seconds)

        threading.Thread(target=run, name="periodic", daemon=True).start()
