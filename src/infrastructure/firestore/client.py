"""One Firestore client per process, built after gunicorn forks (gRPC does not survive fork).

Every call gets an explicit retry budget and deadline, so a Firestore outage becomes a 503
within seconds instead of a request that hangs on the client library's defaults (seen: a
transaction's begin retried for 46 s and then failed with a ValueError).

The client library is imported when the client is first used for something other than its
project, not when it is made: the REST reads and commits of the first requests need only the
project (docs/decisions/0453-one-import-in-the-master.md).

Only the client library's public API is used (docs/decisions/0455-firestore-on-public-apis.md):
its client as it makes it, replaced by a new one after an outage so that its channel does not
wait on gRPC's growing reconnect backoff; the reads, queries and commits of every request
behind the ``FirestoreReads`` port (reads.py), over REST where the process can.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from infrastructure.firestore.errors import renews_after_outage
from infrastructure.firestore.library_reads import LibraryReads
from infrastructure.firestore.reads import FirestoreReads, Select, Unusable, Versioned, Write
from infrastructure.firestore.rest import RestReads
from infrastructure.firestore.sdk import exceptions, firestore

if TYPE_CHECKING:
    from google.api_core.retry import Retry

log = logging.getLogger("firegate")

DEADLINE_SECONDS = 8.0


def _retry() -> Retry:
    from google.api_core.retry import Retry, if_exception_type  # noqa: PLC0415 - on first use

    return Retry(
        initial=0.1,
        maximum=1.0,
        multiplier=2.0,
        timeout=DEADLINE_SECONDS,
        predicate=if_exception_type(
            exceptions.ServiceUnavailable,
            exceptions.InternalServerError,
            exceptions.TooManyRequests,
        ),
    )


class _Bounded(Mapping[str, Any]):
    """``retry`` and ``timeout``, the retry made (with google.api_core) when first unpacked
    into a call of the client library."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._made: dict[str, Any] | None = None

    def _kwargs(self) -> dict[str, Any]:
        made = self._made
        if made is None:
            with self._lock:
                if self._made is None:
                    self._made = {"retry": _retry(), "timeout": DEADLINE_SECONDS}
                made = self._made
        return made

    def __getitem__(self, key: str) -> Any:
        return self._kwargs()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._kwargs())

    def __len__(self) -> int:
        return len(self._kwargs())


# Keyword arguments for every single Firestore call.
BOUNDED: Mapping[str, Any] = _Bounded()


# A commit that must not be sent twice: one that landed although its answer was lost would
# then fail its own precondition, and the reads that follow would answer as if another
# writer had come first (a 409 for the caller's own change).
ONCE: Mapping[str, Any] = {"retry": None, "timeout": DEADLINE_SECONDS}


def retry_policy() -> Retry:
    """The retry of every Firestore call (``BOUNDED["retry"]``)."""
    found: Retry = BOUNDED["retry"]
    return found


# A library client whose call met an outage is replaced by a new one (a new gRPC channel) for
# the next use, at most this often (seconds): docs/decisions/0455-firestore-on-public-apis.md.
RENEW_AFTER = 2.0


class _ClientOnFirstUse:
    """The client of ``project``, made (the client library imported) when first used for
    anything but its project; a collection it is asked for waits as well, so that the
    adapters, which keep their collections, are built without it. Its credentials are found
    at once, as the library's client finds them when made: a process without any fails at
    its start (docs/decisions/0453-one-import-in-the-master.md).

    After an outage (``outage_seen``), the next use makes a new library client. gRPC waits
    longer and longer (1 s, then 1.6 times more, up to 120 s) between its attempts to
    connect a channel that failed, and fails the calls made meanwhile at once: a worker
    whose channel failed through a long outage went on answering 503 for up to two minutes
    after Firestore was back. A new client's channel connects at its first call; the old
    one is dropped, and closed when nothing holds it any more."""

    def __init__(self, project: str) -> None:
        self.project = project
        self._lock = threading.Lock()
        self._client: firestore.Client | None = None
        self._made_at = 0.0
        self._dropped = False  # a client given up after an outage, its channel maybe open
        self._credentials: Any = None
        if os.environ.get("FIRESTORE_EMULATOR_HOST"):
            from google.auth.credentials import AnonymousCredentials  # noqa: PLC0415

            self._credentials = AnonymousCredentials()  # type: ignore[no-untyped-call]
        else:
            import google.auth  # noqa: PLC0415 - production only

            self._credentials, _ = google.auth.default()
        renews_after_outage(self)

    def made(self) -> firestore.Client:
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    if self._dropped:
                        _release_dropped_channels()
                        self._dropped = False
                    self._client = firestore.Client(
                        project=self.project, credentials=self._credentials
                    )
                    self._made_at = time.monotonic()
                client = self._client
        return client

    def outage_seen(self) -> None:
        """A call through the library met an outage: unless the library client is younger
        than ``RENEW_AFTER``, the next use makes a new one."""
        with self._lock:
            if self._client is not None and time.monotonic() - self._made_at >= RENEW_AFTER:
                self._client, self._dropped = None, True

    def collection(self, *path: str) -> firestore.CollectionReference:
        return cast("firestore.CollectionReference", _CollectionOnFirstUse(self, path))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.made(), name)


def _release_dropped_channels() -> None:
    """Close the channels of the clients given up, before a new one is made. gRPC shares a
    connection among the channels of one target and options, so a new channel would wait
    on the backoff of a dropped one that is still open; and the library offers no way to
    close its channel: a client's objects refer to each other, so they (and the channel,
    which closes itself when freed) go only when the cycle collector runs. It runs here, at
    most once per ``RENEW_AFTER`` and only while Firestore fails (measured: back 0.8 s after
    a 30 s outage with it, 8.3 s without; bench/firestore_reconnect.py)."""
    gc.collect()


class _CollectionOnFirstUse:
    """A collection of the client's current library client (a new one after an outage)."""

    def __init__(self, client: _ClientOnFirstUse, path: tuple[str, ...]) -> None:
        self._client = client
        self._path = path
        self._made: tuple[firestore.Client, firestore.CollectionReference] | None = None

    def __getattr__(self, name: str) -> Any:
        client, made = self._client.made(), self._made
        if made is None or made[0] is not client:
            made = self._made = (client, client.collection(*self._path))
        return getattr(made[1], name)


def make_client(project: str) -> firestore.Client:
    """The process's client of ``project``: the client library's, made on first use."""
    return cast("firestore.Client", _ClientOnFirstUse(project))


def library_client(client: firestore.Client) -> firestore.Client:
    """The client library's own client behind ``client`` (made now if it was not yet), for
    the library's constructors that take one."""
    if isinstance(client, _ClientOnFirstUse):
        return client.made()
    return client


class ReadsWithFallback:
    """The process's ``FirestoreReads``: the REST path, and the client library's from the
    first time the REST path proves unusable (``Unusable``: credentials refused, an answer
    not understood; not an outage), which the log says once."""

    def __init__(self, rest: FirestoreReads, library: FirestoreReads) -> None:
        self.rest = rest
        self.library = library
        self.fell_back = False
        self._lock = threading.Lock()

    def read(self, paths: Sequence[str]) -> list[dict[str, Any] | None]:
        return self._either(lambda reads: reads.read(paths))

    def read_versioned(self, paths: Sequence[str]) -> list[Versioned | None]:
        return self._either(lambda reads: reads.read_versioned(paths))

    def query(self, select: Select) -> list[tuple[str, dict[str, Any]]]:
        return self._either(lambda reads: reads.query(select))

    def commit(self, writes: Sequence[Write]) -> None:
        self._either(lambda reads: reads.commit(writes))

    def probe(self) -> None:
        """Both ways answer (the readiness probe): a deploy whose REST path fails takes no
        traffic, even once this process reads through the library."""
        self.library.probe()
        self.rest.probe()

    def fall_back(self, why: Exception) -> None:
        """Read through the client library from now on."""
        with self._lock:
            first, self.fell_back = not self.fell_back, True
        if first:
            log.warning("REST reads fail (%s); this process reads through the client library", why)

    def _either[R](self, use: Callable[[FirestoreReads], R]) -> R:
        if not self.fell_back:
            try:
                return use(self.rest)
            except Unusable as exc:
                self.fall_back(exc)
        return use(self.library)


_reads: weakref.WeakKeyDictionary[firestore.Client, ReadsWithFallback] = weakref.WeakKeyDictionary()
_reads_lock = threading.Lock()


def reads_of(client: firestore.Client) -> ReadsWithFallback:
    """The one ``FirestoreReads`` (and connection pool) of ``client``."""
    reads = _reads.get(client)
    if reads is None:
        with _reads_lock:
            reads = _reads.get(client)
            if reads is None:
                rest = RestReads.for_project(
                    client.project,
                    lambda path: client.document(path),  # noqa: PLW0108 - the library made on use
                    timeout=DEADLINE_SECONDS,
                    budget=DEADLINE_SECONDS,
                )
                library = LibraryReads(lambda: library_client(client), BOUNDED)
                reads = _reads[client] = ReadsWithFallback(rest, library)
    return reads


def _paths(refs: Sequence[firestore.DocumentReference | str]) -> list[str]:
    return [ref if isinstance(ref, str) else ref.path for ref in refs]


def read_documents(
    client: firestore.Client, refs: Sequence[firestore.DocumentReference | str]
) -> list[dict[str, Any] | None]:
    """The fields of each document (None where it does not exist), in the order of ``refs``
    (references, or paths as ``DocumentReference.path``), in one round trip over REST
    (docs/decisions/0151-batch-reads-over-rest.md), outside transactions."""
    return reads_of(client).read(_paths(refs))


def read_versioned_documents(
    client: firestore.Client, refs: Sequence[firestore.DocumentReference | str]
) -> list[tuple[dict[str, Any], datetime] | None]:
    """``read_documents``, each document with its update time (to write under it), in the
    same one round trip."""
    found = reads_of(client).read_versioned(_paths(refs))
    return [(each.fields, each.update_time) if each is not None else None for each in found]


def read_document(
    client: firestore.Client, ref: firestore.DocumentReference | str
) -> dict[str, Any] | None:
    """One document's fields, or None when it does not exist (outside transactions): the
    same REST read, for a quarter of the CPU of the client library's ``get``."""
    return read_documents(client, [ref])[0]


def read_versioned(client: firestore.Client, path: str) -> tuple[dict[str, Any], datetime] | None:
    """A document's fields and update time (to write under it), over REST where it can."""
    return read_versioned_documents(client, [path])[0]


def commit(client: firestore.Client, writes: Sequence[Write]) -> None:
    """The writes in one commit, over REST as the reads are (a fraction of the client
    library's CPU in encoding them); ``Exists``, ``Missing`` or ``Stale`` (reads.py) when a
    precondition fails."""
    reads_of(client).commit(writes)


def run_query(
    client: firestore.Client, query: firestore.Query | Select
) -> list[tuple[str, dict[str, Any]]]:
    """The id and fields of each document ``query`` finds, in its order, outside any
    transaction: a ``Select`` in one ``runQuery`` over REST, written as the API's JSON
    (docs/decisions/0205-queries-written-as-json.md); a query of the library's own streams
    through it."""
    if isinstance(query, Select):
        return reads_of(client).query(query)
    return [(snap.id, snap.to_dict() or {}) for snap in query.stream(**BOUNDED)]


MAX_ID_BYTES = 1500  # Firestore's limit on a document id


def document_id(value: str) -> bool:
    """Whether ``value`` can be a document's id as it is: Firestore refuses (400, not "not
    found") an empty id, one with '/', '.' or '..', one of the form ``__.*__`` or over 1,500
    bytes; a read by such a name finds nothing, so a repository answers None without one."""
    return (
        bool(value)
        and "/" not in value
        and value not in (".", "..")
        and not (len(value) >= 4 and value.startswith("__") and value.endswith("__"))
        and len(value.encode("utf-8", "surrogatepass")) <= MAX_ID_BYTES
    )


def claim_id(normalized: str) -> str:
    """A valid, injective document id for a non-empty normalized name or e-mail address.

    Ids may not contain '/', be '.' or '..', match ``__.*__`` or exceed 1,500 bytes; e-mail
    local parts may contain all of it, and NFKC expands some characters eighteenfold
    (U+FDFA), so a valid address can fold to 3 KB. Escapes start with '%', which is itself
    escaped, so no escaped form equals a plain one; an over-long key becomes ``%H`` + its
    SHA-256 (distinct unless SHA-256 collides).
    """
    escaped = normalized.replace("%", "%25").replace("/", "%2F")
    if escaped.startswith("__") and escaped.endswith("__"):
        escaped = "%5F" + escaped[1:]
    if escaped in (".", ".."):
        escaped = escaped.replace(".", "%2E")
    if len(escaped.encode("utf-8", "surrogatepass")) > MAX_ID_BYTES:
        escaped = "%H" + hashlib.sha256(normalized.encode("utf-8", "surrogatepass")).hexdigest()
    return escaped


def delete_if_exists(client: firestore.Client, ref: firestore.DocumentReference) -> bool:
    """Delete a document that is never changed once made: "it still exists" is the
    precondition, so of deletes at once exactly one lands (True) and the others fail it at
    once (False), with no lock and no retry."""
    try:
        ref.delete(option=client.write_option(exists=True), **BOUNDED)
    except (exceptions.FailedPrecondition, exceptions.NotFound):
        return False
    return True


def newest_first(
    client: firestore.Client,
    collection: str,
    owner: tuple[str, str],
    before: tuple[Any, str] | None,
    limit: int,
) -> list[tuple[str, dict[str, Any]]]:
    """Up to ``limit`` documents whose field ``owner[0]`` is ``owner[1]``, newest first by
    (``created_at``, id), after the position ``before``: the composite index (the field,
    ``created_at`` descending) serves it."""
    query = Select(
        collection,
        (owner,),
        order_by=(("created_at", True), ("__name__", True)),
        start_after=before or (),
        limit=limit,
    )
    return run_query(client, query)


def delete_in_batches(client: firestore.Client, query: firestore.Query, batch_size: int) -> None:
    """Delete what ``query`` finds, ``batch_size`` documents per commit, until nothing is left.

    Each commit stands alone, so an interrupted run leaves a consistent, smaller remainder
    that the next run (``users purge-deleted``) finishes.
    """
    page = query.limit(batch_size)
    while refs := [snap.reference for snap in page.select([]).stream(**BOUNDED)]:
        batch = client.batch()
        for ref in refs:
            batch.delete(ref)
        batch.commit(**BOUNDED)  # deletes are idempotent: a retried commit is safe


def reassign_in_batches(
    client: firestore.Client, query: firestore.Query, field: str, to: str, batch_size: int
) -> None:
    """Set ``field`` to ``to`` on what ``query`` finds (a query on that field's old value),
    ``batch_size`` documents per commit, until nothing is left: each commit stands alone, so
    an interrupted run leaves a smaller remainder that a retry moves, and nothing moved twice.
    A document deleted between the read and the commit fails its commit; the next read no
    longer finds it."""
    page = query.limit(batch_size)
    while refs := [snap.reference for snap in page.select([]).stream(**BOUNDED)]:
        batch = client.batch()
        for ref in refs:
            batch.update(ref, {field: to})
        try:
            batch.commit(**BOUNDED)
        except exceptions.NotFound:
            continue  # one of them was deleted meanwhile: read again
