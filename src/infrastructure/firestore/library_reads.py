"""``LibraryReads``: ``FirestoreReads`` through google-cloud-firestore's public API (gRPC): what
a process uses when the REST path proves unusable where it is deployed, and the reference
the REST path is held to (tests/contract/test_firestore_reads.py). The library's errors
become the port's (reads.py): an outage a 503, a failed precondition ``Exists``,
``Missing`` or ``Stale``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from domain.errors import NotFound
from infrastructure.firestore.errors import library_outage, outage, refused_name
from infrastructure.firestore.names import storable_path
from infrastructure.firestore.reads import (
    Contended,
    Exists,
    Missing,
    Select,
    Stale,
    Versioned,
    Write,
    send_until_taken,
)
from infrastructure.firestore.sdk import exceptions, firestore, loaded

PROBE_TIMEOUT = 2.0  # seconds: the readiness probe's, as the REST probe's


class LibraryReads:
    def __init__(self, client: Callable[[], firestore.Client], bounded: Mapping[str, Any]) -> None:
        """``client``: the library's client (made on first use); ``bounded``: the retry and
        deadline of every call."""
        self._client = client
        self._bounded = bounded

    def read(self, paths: Sequence[str]) -> list[dict[str, Any] | None]:
        found = self._snapshots(paths)
        return [(snap.to_dict() or {}) if snap is not None else None for snap in found]

    def read_versioned(self, paths: Sequence[str]) -> list[Versioned | None]:
        found = self._snapshots(paths)
        return [
            Versioned(snap.to_dict() or {}, snap.update_time) if snap is not None else None
            for snap in found
        ]

    def query(self, select: Select) -> list[tuple[str, dict[str, Any]]]:
        with _port_errors():
            found = library_query(self._client(), select).stream(**self._bounded)
            return [(snap.id, snap.to_dict() or {}) for snap in found]

    def commit(self, writes: Sequence[Write]) -> None:
        def send() -> None:
            with _port_errors():
                batch_of(self._client(), writes).commit(**self._bounded)

        send_until_taken(send)

    def probe(self) -> None:
        with _port_errors():
            self._client().document("_health/ping").get(retry=None, timeout=PROBE_TIMEOUT)

    def _snapshots(self, paths: Sequence[str]) -> list[Any]:
        """Each path's snapshot where its document exists, else None; a path no document
        can have is not asked for (Firestore refuses it)."""
        client = self._client()
        asked = [client.document(path) for path in dict.fromkeys(paths) if storable_path(path)]
        if not asked:
            return [None] * len(paths)
        with _port_errors():
            found = {snap.reference.path: snap for snap in client.get_all(asked, **self._bounded)}
        return [found[path] if path in found and found[path].exists else None for path in paths]


@contextmanager
def _port_errors() -> Iterator[None]:
    """The library's errors as the port's."""
    try:
        yield
    except Exception as exc:
        if not loaded("google.api_core.exceptions"):
            raise
        if isinstance(exc, exceptions.AlreadyExists):
            raise Exists(str(exc)) from exc
        if isinstance(exc, exceptions.NotFound):
            raise Missing(str(exc)) from exc
        if isinstance(exc, exceptions.FailedPrecondition):
            raise Stale(str(exc)) from exc
        if isinstance(exc, exceptions.Aborted):
            raise Contended(str(exc)) from exc
        if outage(exc):
            raise library_outage(exc) from exc
        if refused_name(exc):
            raise NotFound("There is no such thing.") from exc
        raise


def library_query(client: firestore.Client, select: Select) -> firestore.Query:
    """``select`` as the client library's query."""
    collection = client.collection(select.collection)
    query: Any = collection
    for name, value in select.where:
        query = query.where(filter=firestore.FieldFilter(name, "==", value))
    for name, descending in select.order_by:
        direction = firestore.Query.DESCENDING if descending else firestore.Query.ASCENDING
        query = query.order_by(name, direction=direction)
    if select.start_after:
        query = query.start_after(
            {
                name: collection.document(value) if name == "__name__" else value
                for (name, _), value in zip(select.order_by, select.start_after, strict=True)
            }
        )
    if select.limit is not None:
        query = query.limit(select.limit)
    found: firestore.Query = query
    return found


def batch_of(
    client: firestore.Client, writes: Sequence[Write], batch: firestore.WriteBatch | None = None
) -> firestore.WriteBatch:
    """``writes`` added to ``batch`` (a new one when None), for the client library's commit."""
    batch = batch if batch is not None else client.batch()
    add_writes(client, writes, batch)
    return batch


def add_writes(
    client: firestore.Client,
    writes: Sequence[Write],
    batch: firestore.WriteBatch | firestore.Transaction,
) -> None:
    """``writes`` added to ``batch`` or to a transaction, for the client library's commit."""
    for write in writes:
        ref = client.document(write.path)
        if write.create:
            batch.create(ref, write.fields)
            continue
        # An update's keys are field paths to the library ("a.b" is b in a): each of a
        # Write's names is one field, quoted where it must be, as the REST path sends it.
        fields = {client.field_path(name): value for name, value in write.fields.items()}
        if write.unchanged_since is None:
            batch.update(ref, fields)
        else:
            batch.update(ref, fields, option=firestore.LastUpdateOption(write.unchanged_since))
