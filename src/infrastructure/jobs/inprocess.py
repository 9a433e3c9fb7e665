"""Background jobs in the service's own process: a bounded pool of worker threads.

For local runs (``JOB_QUEUE=inprocess``). The workers start with the first job, in the process
that queues it (after gunicorn's fork; threads do not survive a fork, so a forked child
starts its own). Jobs live in memory: the ones still queued when the process stops are lost,
which is why Cloud Run uses Pub/Sub instead.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import os
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from application.ports import Job
from domain.errors import Unavailable
from infrastructure import jitter

log = logging.getLogger("firegate.jobs")

# The queues of this process whose workers have started: what ``settle`` waits for.
_started: weakref.WeakSet[InProcessJobQueue] = weakref.WeakSet()


@dataclass(order=True)
class _Entry:
    due: float
    seq: int
    job: Job = field(compare=False)
    attempt: int = field(compare=False)


class InProcessJobQueue:
    def __init__(
        self,
        run: Callable[[Job, bool], None],
        *,
        workers: int = 2,
        max_pending: int = 1000,
        max_attempts: int = 5,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        observe: Callable[[int, float], None] | None = None,
    ) -> None:
        self._run = run
        # Told the number of queued jobs and when the first of them was due (seconds since
        # the epoch, infinity for none) at each change (docs/operations.md, the job gauges).
        self._observe = observe
        self._workers = workers
        self._max_pending = max_pending
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._pid: int | None = None
        self._start_lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[_Entry] = []
        self._seq = itertools.count()
        self._busy = 0
        self._threads: list[threading.Thread] = []

    def _ensure_started(self) -> None:
        if self._pid == os.getpid():
            return
        with self._start_lock:
            if self._pid == os.getpid():
                return
            self._reset()  # a fork copied our state, but not our threads
            for number in range(self._workers):
                thread = threading.Thread(target=self._work, name=f"job-worker-{number}")
                thread.daemon = True
                thread.start()
                self._threads.append(thread)
            self._pid = os.getpid()
            _started.add(self)

    def enqueue(self, job: Job) -> None:
        self._ensure_started()
        with self._cond:
            if len(self._heap) >= self._max_pending:
                raise Unavailable("The job queue is full.", code="job_queue_full")
            self._push(job, attempt=1, delay=0.0)

    def _push(self, job: Job, *, attempt: int, delay: float) -> None:
        heapq.heappush(self._heap, _Entry(time.monotonic() + delay, next(self._seq), job, attempt))
        self._cond.notify_all()
        self._observed()

    def _observed(self) -> None:
        """Under ``_cond``: the queue's size and first due time to ``observe``."""
        if self._observe is None:
            return
        heap = self._heap
        oldest = time.time() - (time.monotonic() - heap[0].due) if heap else math.inf
        self._observe(len(heap), oldest)

    def delay(self, attempt: int) -> float:
        """Exponential backoff with full jitter before attempt ``attempt + 1``."""
        ceiling = min(self._max_backoff, self._backoff * 2 ** (attempt - 1))
        return jitter.uniform(ceiling / 2, ceiling)

    def _next(self) -> _Entry:
        with self._cond:
            while True:
                if self._heap:
                    wait = self._heap[0].due - time.monotonic()
                    if wait <= 0:
                        self._busy += 1
                        entry = heapq.heappop(self._heap)
                        self._observed()
                        return entry
                    self._cond.wait(wait)
                else:
                    self._cond.wait()

    def _work(self) -> None:
        while True:
            entry = self._next()
            final = entry.attempt >= self._max_attempts
            try:
                self._run(entry.job, final)
            except Exception as exc:
                if final:
                    log.error("job %s failed for good", entry.job.kind, exc_info=True)
                else:
                    delay = self.delay(entry.attempt)
                    log.info(
                        "job %s: attempt %d failed (%s); retrying in %.1f s",
                        entry.job.kind,
                        entry.attempt,
                        exc if isinstance(exc, Unavailable) else type(exc).__name__,
                        delay,
                        exc_info=not isinstance(exc, Unavailable),
                    )
                    with self._cond:  # a retry is never refused, even when the queue is full
                        self._push(entry.job, attempt=entry.attempt + 1, delay=delay)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def join(self, timeout: float) -> bool:
        """Wait until no job is queued or running (tests, shutdown); False on timeout."""
        return self._wait_until(time.monotonic() + timeout, lambda: not (self._heap or self._busy))

    def _settled(self) -> bool:
        """Under ``_cond``: nothing runs and nothing is due (a retry later may wait)."""
        return not self._busy and not (self._heap and self._heap[0].due <= time.monotonic())

    def _wait_until(self, deadline: float, done: Callable[[], bool]) -> bool:
        with self._cond:
            while not done():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
        return True


def settle(timeout: float) -> bool:
    """Wait until no queue of this process runs a job or has one due now (a retry due later
    is left waiting): what one test queued is done before the next begins. False on
    timeout, which is shared by all the queues."""
    deadline = time.monotonic() + timeout
    return all(queue._wait_until(deadline, queue._settled) for queue in list(_started))
