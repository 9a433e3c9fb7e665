"""``FirestoreReads``: documents read by name, plain queries, and the guarded commits built
from such reads, outside transactions: the hot path of every authenticated request.

Two adapters keep it: ``RestReads`` (rest.py), over Firestore's REST API on urllib3, and
``LibraryReads`` (library_reads.py), through google-cloud-firestore's public API. The
process uses the first and falls back to the second, for good, when the first proves
unusable as deployed (``Unusable``: credentials refused, an answer of another shape); an
outage is no reason to fall back. tests/contract/test_firestore_reads.py holds both to the
same cases on the emulator (docs/decisions/0455-firestore-on-public-apis.md).

What either raises is said here, in firegate's words, not in a library's: ``Unavailable``
(the domain's 503) when Firestore is out of reach past the retry budget and deadline;
``Exists``, ``Missing`` or ``Stale`` when a commit's precondition fails, and nothing of the
commit was written.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from domain.errors import Unavailable
from infrastructure import jitter


@dataclass(frozen=True)
class Select:
    """A plain query as the adapters ask it: the documents of one collection whose fields
    equal the values ``where`` names, in the order of ``order_by`` (a field and whether it
    descends; ``"__name__"`` is the document's id), after the cursor ``start_after`` (one
    value per ``order_by`` field, an id for ``"__name__"``), at most ``limit``.

    Each adapter spells it its own way: the API's JSON (``rest.structured_query``), the
    client library's query (``library_reads.library_query``)
    (docs/decisions/0205-queries-written-as-json.md)."""

    collection: str  # a path under the database's documents: "sessions", "users/u1/notes"
    where: tuple[tuple[str, Any], ...] = ()
    order_by: tuple[tuple[str, bool], ...] = ()
    start_after: tuple[Any, ...] = ()
    limit: int | None = None


@dataclass(frozen=True)
class Write:
    """One document's write in a commit: ``create`` a new document (``Exists`` if there is
    one), or update only ``fields`` of an existing one (``Missing`` if there is none), of
    the version last updated at ``unchanged_since`` when one is given (``Stale`` if it
    changed or went)."""

    path: str  # relative, as ``DocumentReference.path``
    fields: dict[str, Any]
    create: bool = False
    unchanged_since: datetime | None = None


@dataclass(frozen=True)
class Versioned:
    """A document's fields and its update time (to the nanosecond): a write built from them
    may be sent on the condition that the document is still that version."""

    fields: dict[str, Any]
    update_time: datetime


class Stale(Exception):
    """The documents a commit was built from changed (or went) before it committed: nothing
    was written; read them again and build it again."""


class Exists(Exception):
    """A document the commit was to create exists: nothing was written."""


class Missing(Exception):
    """A document the commit was to update does not exist: nothing was written."""


class Unusable(Exception):
    """This way to Firestore cannot work in this process as deployed: the endpoint refused
    the credentials (401, 403), none could be had, or it answered in a shape the adapter
    does not know. Not an outage: the process reads another way from then on."""


class Contended(Exception):
    """Firestore aborted a commit (contention on its documents): nothing was written, and
    the same commit may be sent again (``send_until_taken``)."""


class FirestoreReads(Protocol):
    def read(self, paths: Sequence[str]) -> list[dict[str, Any] | None]:
        """Each document's fields (None where there is none), in the order of ``paths``."""
        ...

    def read_versioned(self, paths: Sequence[str]) -> list[Versioned | None]:
        """Each document's fields and update time (None where there is none), in order."""
        ...

    def query(self, select: Select) -> list[tuple[str, dict[str, Any]]]:
        """The id and fields of each document ``select`` finds, in its order."""
        ...

    def commit(self, writes: Sequence[Write]) -> None:
        """The writes, all or none; ``Exists``, ``Missing`` or ``Stale`` when one of their
        preconditions fails."""
        ...

    def probe(self) -> None:
        """One read, without retries, of a document that need not exist: raises when this
        way to Firestore does not answer (the readiness probe's)."""
        ...


# A commit Firestore aborted (contention: it serialises writes to a document) applied
# nothing, so it may be sent again; this many times in all, then 503.
MAX_ABORTED_COMMITS = 5


def pause_after_abort(attempt: int) -> None:
    """Before sending a commit again after its ``attempt``-th abort: 25-50 ms, doubling."""
    time.sleep(jitter.uniform(0.5, 1.0) * min(0.05 * 2 ** (attempt - 1), 1.0))


def too_many_changes() -> Unavailable:
    return Unavailable("Too many concurrent changes; try again.", retry_after=1)


def send_until_taken(send: Callable[[], None]) -> None:
    """``send`` a commit, again while Firestore aborts it (``Contended``), up to
    ``MAX_ABORTED_COMMITS`` times; then a 503."""
    for attempt in range(1, MAX_ABORTED_COMMITS + 1):
        try:
            send()
        except Contended:
            if attempt == MAX_ABORTED_COMMITS:
                raise too_many_changes() from None
            pause_after_abort(attempt)
        else:
            return
