"""A Firestore client whose every call is counted: the documents read, written and deleted,
and the round trips, on both of firegate's ways to Firestore -- the client library's gRPC
calls and the REST batch reads, queries and commits of
``infrastructure/firestore/rest.py`` (docs/operations.md, "What an operation costs").

Counted as Firestore bills them (docs/operations.md names the page): a document asked for by
name is one read whether or not it exists, a query one read per document it returns and one
when it returns none; each document a commit creates, changes or deletes is one write (a
field transform on it is part of that write); a round trip is one RPC or one HTTP request,
each retry its own. Only calls made while ``measuring`` are counted.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc  # type: ignore[import-untyped]  # no stubs in the dev requirements
from google.cloud import firestore

from infrastructure.firestore import rest
from infrastructure.firestore.client import make_client, reads_of

_SERVICE = "/google.firestore.v1.Firestore/"
_DOCUMENTS = "/documents/"


@dataclass
class Cost:
    """What Firestore was asked while ``measuring``."""

    reads: int = 0
    writes: int = 0  # deletes included
    deletes: int = 0
    round_trips: int = 0
    written: Counter[str] = field(default_factory=Counter)  # writes per document path
    calls: Counter[str] = field(default_factory=Counter)  # round trips per method

    @property
    def figures(self) -> tuple[int, int, int]:
        return self.reads, self.writes, self.round_trips


def _relative(name: str) -> str:
    """``projects/p/databases/(default)/documents/users/u1`` -> ``users/u1``."""
    return name.partition(_DOCUMENTS)[2] or name


class FirestoreMeter:
    """Counts what one client asks of Firestore; thread-safe, so a request's work in other
    threads counts too."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cost: Cost | None = None

    @contextmanager
    def measuring(self) -> Iterator[Cost]:
        cost = Cost()
        with self._lock:
            if self._cost is not None:
                raise RuntimeError("already measuring")
            self._cost = cost
        try:
            yield cost
        finally:
            with self._lock:
                self._cost = None

    def call(self, method: str) -> None:
        with self._lock:
            if self._cost is not None:
                self._cost.round_trips += 1
                self._cost.calls[method] += 1

    def read(self, documents: int) -> None:
        with self._lock:
            if self._cost is not None:
                self._cost.reads += documents

    def write(self, path: str, *, delete: bool = False) -> None:
        with self._lock:
            if self._cost is not None:
                self._cost.writes += 1
                self._cost.deletes += delete
                self._cost.written[_relative(path)] += 1

    # -- the client library's calls -------------------------------------------------------

    def unary_done(self, method: str, request: Any) -> None:
        """A unary call that succeeded: what its commit wrote or its get read."""
        if method in ("Commit", "BatchWrite"):
            for write in request.writes:
                if "delete" in write:
                    self.write(write.delete, delete=True)
                elif "update" in write:
                    self.write(write.update.name)
                else:
                    self.write(write.transform.document)
        elif method == "GetDocument":
            self.read(1)

    def stream_answer(self, method: str, answers: Iterator[Any]) -> Iterator[Any]:
        """A streaming call's answers as they come: the documents a batch get names (found or
        missing) and a query returns (one when none)."""
        returned = 0
        for answer in answers:
            if method == "BatchGetDocuments" and ("found" in answer or "missing" in answer):
                self.read(1)
            elif method == "RunQuery" and "document" in answer:
                returned += 1
                self.read(1)
            yield answer
        if method in ("RunQuery", "RunAggregationQuery") and returned == 0:
            self.read(1)

    # -- the REST requests ----------------------------------------------------------------

    def rest_done(self, method: str, body: bytes, answer: Any) -> None:
        """A REST request that succeeded: what its commit wrote or its batch get or query
        read."""
        if method == "batchGet":
            self.read(len(answer))
        elif method == "runQuery":
            self.read(max(1, sum("document" in item for item in answer)))
        elif method == "commit":
            for write in json.loads(body)["writes"]:
                if "delete" in write:
                    self.write(write["delete"], delete=True)
                else:
                    self.write(write["update"]["name"])


class _Counted(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):  # type: ignore[misc]
    """Counts each call of the client library's channel."""

    def __init__(self, meter: FirestoreMeter) -> None:
        self._meter = meter

    def intercept_unary_unary(
        self, continuation: Callable[..., Any], details: grpc.ClientCallDetails, request: Any
    ) -> Any:
        method = _method(details)
        self._meter.call(method)
        outcome = continuation(details, request)
        if outcome.exception() is None:  # a refused commit writes nothing
            self._meter.unary_done(method, request)
        return outcome

    def intercept_unary_stream(
        self, continuation: Callable[..., Any], details: grpc.ClientCallDetails, request: Any
    ) -> Any:
        method = _method(details)
        self._meter.call(method)
        return _CountedStream(continuation(details, request), self._meter, method)


class _CountedStream:
    """A streaming call, its answers counted as the library reads them; the rest of the call
    (cancel, code, metadata) is the call's own."""

    def __init__(self, call: Any, meter: FirestoreMeter, method: str) -> None:
        self._call = call
        self._answers = meter.stream_answer(method, call)

    def __iter__(self) -> _CountedStream:
        return self

    def __next__(self) -> Any:
        return next(self._answers)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._call, name)


def _method(details: grpc.ClientCallDetails) -> str:
    name = details.method
    if isinstance(name, bytes):
        name = name.decode()
    return str(name).removeprefix(_SERVICE)


def metered_client(project: str) -> tuple[firestore.Client, FirestoreMeter]:
    """A new client on the emulator (``FIRESTORE_EMULATOR_HOST``) and the meter that counts
    its calls. Its gRPC channel is made, through the library's own call to
    ``grpc.insecure_channel``, while that function hands out a counted channel; its
    REST path is made while ``wrap_posts`` counts the next one made, and no other."""
    client = make_client(project)
    meter = FirestoreMeter()
    plain = grpc.insecure_channel

    def counted_channel(target: str, *args: Any, **kwargs: Any) -> grpc.Channel:
        return grpc.intercept_channel(plain(target, *args, **kwargs), _Counted(meter))

    grpc.insecure_channel = counted_channel
    try:
        client.collection("_health").document("ping").get()  # the channel is made here
    finally:
        grpc.insecure_channel = plain
    taken = False

    def around(post: rest.Post) -> rest.Post:
        nonlocal taken
        if taken:
            return post  # another client's REST path, made later: left alone
        taken = True

        def counted(url: str, body: bytes) -> Any:
            method = url.rpartition(":")[2]
            meter.call(method)
            answer = post(url, body)
            meter.rest_done(method, body, answer)
            return answer

        return counted

    rest.wrap_posts(around)
    reads_of(client)  # this client's REST path, made now: the one counted
    if not taken:
        raise RuntimeError("the REST path was made before it could be counted")
    with meter.measuring() as seen:
        client.collection("_health").document("ping").get()
        reads_of(client).read(["_health/ping"])
    if seen.figures != (2, 0, 2):
        raise RuntimeError(f"the meter does not see both ways to Firestore: {seen}")
    return client, meter
