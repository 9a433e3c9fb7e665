"""Optimistic writes: read without locks, then commit one batch that applies only if what it
was built from is unchanged (update-time preconditions); build it again if something changed.

Read-write transactions lock what they read, on the emulator and in production alike, so
thirty requests racing for one document wait on each other and abort until their retry
budget is spent (docs/decisions/0060-renames-by-compare-and-set.md,
docs/decisions/0061-deletions-by-compare-and-set.md). Here a read takes no lock: the loser of
a race learns it at once from its failed commit, with AlreadyExists for a taken claim (a
definite 409) or FailedPrecondition for a stale read (read again; each round has a winner,
so thirty writers of one document all get through).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from infrastructure import jitter
from infrastructure.firestore.reads import (
    MAX_ABORTED_COMMITS,
    Stale,
    pause_after_abort,
    too_many_changes,
)
from infrastructure.firestore.sdk import exceptions, firestore

# Rounds one writer may lose before a 503: each round has a winner, so this many writers of
# one document at the same moment are all served.
ATTEMPTS = 50

T = TypeVar("T")


def unchanged_since(
    snap: firestore.DocumentSnapshot[firestore.DocumentReference],
) -> firestore.LastUpdateOption:
    """The precondition that ``snap``'s document is still exactly as it was read."""
    return firestore.LastUpdateOption(snap.update_time)


def _pause(round_: int) -> None:
    # Randomised exponential back-off (at most 50 ms): thirty losers of a round spread out,
    # so fewer of them spend the next round on a doomed commit.
    time.sleep(jitter.uniform(0, min(0.05, 0.002 * 2**round_)))


def until_unchanged[T](
    attempt: Callable[[], T],
    *,
    attempts: int = ATTEMPTS,
    exhausted: Callable[[], Exception] = too_many_changes,
) -> T:
    """Run ``attempt`` (read, build a guarded batch, commit) until its reads held.

    ``attempt`` raises Stale (as a commit of ``FirestoreReads`` does), or lets the client
    library's FailedPrecondition through, when a document changed after it read it; it is
    pure apart from its commit, so running it again is safe. After ``attempts`` lost rounds,
    the error ``exhausted`` makes (a 503 unless said otherwise).
    """
    aborted = 0
    for round_ in range(1, attempts + 1):
        try:
            return attempt()
        except Stale:  # first: a clause naming the library's errors imports it
            _pause(round_)
        except exceptions.FailedPrecondition:
            _pause(round_)
        except exceptions.Aborted:
            # Contention at the server: nothing was written; the same commit may go again.
            aborted += 1
            if aborted >= MAX_ABORTED_COMMITS:
                raise too_many_changes() from None
            pause_after_abort(aborted)
    raise exhausted()
