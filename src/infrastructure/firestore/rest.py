"""``RestReads``: ``FirestoreReads`` over Firestore's REST API, on urllib3's connection pool.

Every authenticated request reads its user and session by name in one
``documents:batchGet`` (docs/decisions/0151-batch-reads-over-rest.md); the lists of a user's
sessions, passkeys, events and grants are one ``documents:runQuery`` each
(docs/decisions/0195-queries-over-rest.md); a refresh writes its session under the update
time it read, in one ``documents:commit`` (docs/decisions/0260-refresh-over-rest.md). Through
the client library (gRPC streaming, proto-plus messages, snapshots) each costs this process
three to four times the CPU of a JSON POST on a kept-alive connection
(docs/decisions/0455-firestore-on-public-apis.md has the figures).

Against the emulator the requests go to ``FIRESTORE_EMULATOR_HOST`` over plain HTTP as its
owner; in production to ``firestore.googleapis.com`` over TLS, with the Application Default
Credentials' access token. A request that fails in a way worth trying again (no connection,
5xx, 429, an API status of UNAVAILABLE or DEADLINE_EXCEEDED, an answer that is not JSON) is
sent again with growing pauses within the retry budget, then is a 503 (``Unavailable``).
A 401 or 403, credentials that cannot be had, or an answer of a shape this module does not
know raise ``Unusable``: the caller reads through the client library from then on.
"""

from __future__ import annotations

import json
import os
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import urllib3

from domain.errors import NotFound
from infrastructure import jitter
from infrastructure.firestore.errors import REFUSED_NAME, unavailable
from infrastructure.firestore.names import storable_path
from infrastructure.firestore.reads import (
    Contended,
    Exists,
    Missing,
    Select,
    Stale,
    Unusable,
    Versioned,
    Write,
    send_until_taken,
)
from infrastructure.firestore.rest_values import (
    decode_fields,
    encode,
    encode_timestamp,
    field_path,
    nanosecond_time,
    structured_query,
)

PRODUCTION_HOST = "firestore.googleapis.com"
SCOPES = ("https://www.googleapis.com/auth/datastore",)
# Kept-alive connections per process: more than a worker's threads, so that none is dropped
# for want of room (urllib3 closes, and logs, a connection its full pool cannot take back).
POOL_SIZE = 32
FIRST_PAUSE, LONGEST_PAUSE = 0.1, 1.0  # between attempts, doubling; as the library's retry

Post = Callable[[str, bytes], Any]
_around_posts: list[Callable[[Post], Post]] = []


def wrap_posts(around: Callable[[Post], Post]) -> None:
    """Put ``around`` about each request of the adapters made from now on (a trace's span:
    docs/operations.md, "Traces"); none by default, so nothing is added to a request."""
    _around_posts.append(around)


class Transient(Exception):
    """A request that failed in a way worth sending again: Firestore out of reach, busy, or
    past its deadline."""


class Refused(Exception):
    """A request Firestore refused as malformed (a 4xx this module does not expect)."""


_BY_API_STATUS: dict[str, type[Exception]] = {
    "FAILED_PRECONDITION": Stale,  # a write's update time: the document changed or went
    "ALREADY_EXISTS": Exists,
    "NOT_FOUND": Missing,
    "ABORTED": Contended,
    "UNAVAILABLE": Transient,
    "DEADLINE_EXCEEDED": Transient,  # may come back as a 504, or a 409 from the emulator
    "RESOURCE_EXHAUSTED": Transient,
    "INTERNAL": Transient,
}


def _error(status: int, data: bytes) -> Exception:
    """What a non-200 answer means, by the API's own status first: the outcomes of a commit
    share HTTP 400, 404 and 409 with others."""
    try:
        error = json.loads(data)["error"]
        message, code = str(error["message"]), str(error.get("status", ""))
    except (ValueError, KeyError, TypeError):
        message, code = data[:200].decode("utf-8", "replace"), ""
    if status in (401, 403):
        return Unusable(f"Firestore refused the REST request ({status}): {message}")
    if code in _BY_API_STATUS:
        return _BY_API_STATUS[code](message)
    if status >= 500 or status == 429:
        return Transient(f"{status}: {message}")
    if status == 404:
        return Missing(message)
    if REFUSED_NAME.search(message):
        return NotFound("There is no such thing.")  # a name no document can have
    return Refused(f"Firestore refused the REST request ({status} {code}): {message}")


class RestReads:
    def __init__(
        self,
        project: str,
        reference: Callable[[str], Any],
        *,
        timeout: float,
        budget: float,
        host: str = PRODUCTION_HOST,
        tls: bool = True,
        emulator: bool = False,
        credentials: Any = None,
    ) -> None:
        """``reference`` makes a ``DocumentReference`` of a path (a reference value read);
        ``timeout``: each request's; ``budget``: the attempts' of one call in all."""
        self._reference = reference
        self._timeout = timeout
        self._budget = budget
        self._emulator = emulator
        self._credentials = credentials
        self._credentials_lock = threading.Lock()
        database = f"projects/{project}/databases/(default)"
        self._prefix = f"{database}/documents/"
        self._documents = f"/v1/{database}/documents"
        tls_options = {"ssl_context": ssl.create_default_context()} if tls else {}
        self._pool = urllib3.connection_from_url(
            f"{'https' if tls else 'http'}://{host}",
            maxsize=POOL_SIZE,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            retries=False,
            **tls_options,
        )
        post: Post = self._post
        for around in _around_posts:
            post = around(post)
        self._send = post

    @classmethod
    def for_project(
        cls, project: str, reference: Callable[[str], Any], *, timeout: float, budget: float
    ) -> RestReads:
        """Where the client library sends its requests: the emulator, or Firestore."""
        emulator_host = os.environ.get("FIRESTORE_EMULATOR_HOST")
        if emulator_host:
            return cls(
                project,
                reference,
                timeout=timeout,
                budget=budget,
                host=emulator_host,
                tls=False,
                emulator=True,
            )
        return cls(project, reference, timeout=timeout, budget=budget)

    # -- the port ------------------------------------------------------------------------

    def read(self, paths: Sequence[str]) -> list[dict[str, Any] | None]:
        found = self._batch_get(paths, retried=True)
        return self._understood(
            lambda: [
                None if doc is None else decode_fields(doc.get("fields", {}), self._reference)
                for doc in found
            ]
        )

    def read_versioned(self, paths: Sequence[str]) -> list[Versioned | None]:
        found = self._batch_get(paths, retried=True)
        return self._understood(
            lambda: [
                None
                if doc is None
                else Versioned(
                    decode_fields(doc.get("fields", {}), self._reference),
                    nanosecond_time(doc["updateTime"]),
                )
                for doc in found
            ]
        )

    def query(self, select: Select) -> list[tuple[str, dict[str, Any]]]:
        parent, wire = structured_query(select, self._prefix)
        under = f"/{parent}" if parent else ""
        body = json.dumps({"structuredQuery": wire}).encode()
        answers = self._retried(f"{self._documents}{under}:runQuery", body)

        def rows() -> list[tuple[str, dict[str, Any]]]:
            if not isinstance(answers, list) or not all(
                "document" in answer or "readTime" in answer for answer in answers
            ):
                raise TypeError("a runQuery answer is a list of documents and read times")
            return [
                (
                    answer["document"]["name"].rpartition("/")[2],
                    decode_fields(answer["document"].get("fields", {}), self._reference),
                )
                for answer in answers
                if "document" in answer
            ]

        return self._understood(rows)

    def commit(self, writes: Sequence[Write]) -> None:
        body = json.dumps({"writes": [self._write(write) for write in writes]}).encode()

        def send() -> None:
            answer = self._retried(f"{self._documents}:commit", body)
            if not isinstance(answer, dict) or len(answer.get("writeResults", ())) != len(writes):
                raise Unusable(f"Firestore's REST answer was not understood: {answer!r:.200}")

        send_until_taken(send)

    def probe(self) -> None:
        self._batch_get(["_health/ping"], retried=False)

    # -- requests ------------------------------------------------------------------------

    def _write(self, write: Write) -> dict[str, Any]:
        document = {
            "name": self._prefix + write.path,
            "fields": {name: encode(value) for name, value in write.fields.items()},
        }
        if write.create:
            return {"update": document, "currentDocument": {"exists": False}}
        condition: dict[str, Any] = (
            {"exists": True}
            if write.unchanged_since is None
            else {"updateTime": encode_timestamp(write.unchanged_since)}
        )
        return {
            "update": document,
            "updateMask": {"fieldPaths": [field_path(name) for name in write.fields]},
            "currentDocument": condition,
        }

    def _batch_get(self, paths: Sequence[str], *, retried: bool) -> list[dict[str, Any] | None]:
        """The API's ``found`` document for each path (None where it is missing, or no
        document could be there: Firestore answers 400 to a name it refuses)."""
        names = [self._prefix + path for path in paths if storable_path(path)]
        if not names:
            return [None] * len(paths)
        body = json.dumps({"documents": names}).encode()
        url = f"{self._documents}:batchGet"
        answers = self._retried(url, body) if retried else self._once(url, body)

        def found() -> dict[str, Any]:
            if not isinstance(answers, list) or not all(
                "found" in answer or "missing" in answer for answer in answers
            ):
                raise TypeError("a batchGet answer is a list of found or missing documents")
            return {a["found"]["name"]: a["found"] for a in answers if "found" in a}

        by_name = self._understood(found)
        return [by_name.get(self._prefix + path) for path in paths]

    def _understood[T](self, make: Callable[[], T]) -> T:
        """``make()``, which reads an answer: one it cannot read makes this path unusable."""
        try:
            return make()
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise Unusable(f"Firestore's REST answer was not understood: {exc}") from exc

    def _once(self, url: str, body: bytes) -> Any:
        try:
            return self._send(url, body)
        except Transient as exc:
            raise unavailable(exc) from exc

    def _retried(self, url: str, body: bytes) -> Any:
        """The answer to ``body``, sent again after each failure worth it (with a growing,
        jittered pause) while the budget lasts; then a 503."""
        give_up = time.monotonic() + self._budget
        pause = FIRST_PAUSE
        while True:
            try:
                return self._send(url, body)
            except Transient as exc:
                wait = pause * jitter.uniform(0.5, 1.0)
                if time.monotonic() + wait >= give_up:
                    raise unavailable(exc) from exc
            time.sleep(wait)
            pause = min(pause * 2, LONGEST_PAUSE)

    def _post(self, url: str, body: bytes) -> Any:
        try:
            answer = self._pool.urlopen(
                "POST", url, body=body, headers=self._headers(), redirect=False
            )
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise Transient(f"Firestore unreachable: {exc}") from exc
        if answer.status != 200:
            raise _error(answer.status, answer.data)
        try:
            return json.loads(answer.data)
        except ValueError as exc:  # a proxy's page, a cut-off body: an outage, not a 500
            raise Transient(f"an answer that is not JSON: {exc}") from exc

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self._emulator:
            headers["Authorization"] = "Bearer owner"  # the emulator's admin: rules don't apply
            return headers
        import google.auth  # noqa: PLC0415 - production only
        from google.auth.exceptions import GoogleAuthError  # noqa: PLC0415

        with self._credentials_lock:
            try:
                if self._credentials is None:
                    self._credentials, _ = google.auth.default(scopes=SCOPES)
                if not self._credentials.valid:
                    from google.auth.transport.requests import Request  # noqa: PLC0415

                    self._credentials.refresh(Request())
            except GoogleAuthError as exc:
                raise Unusable(f"no credentials for the REST requests: {exc}") from exc
            self._credentials.apply(headers)
        return headers
