"""The batch read of every authenticated request, and plain queries, over Firestore's REST API.

GET /user, POST /login and the login throttle read a few documents by name in one
``documents:batchGet`` round trip, and single documents outside transactions are read the
same way. Through google-cloud-firestore that read costs about
1.0 ms of CPU in this process (gRPC streaming, proto-plus messages, snapshots); as one
HTTP/1.1 POST on a kept-alive connection with JSON, about 0.25 ms
(docs/decisions/0151-batch-reads-over-rest.md). Queries outside transactions (the lists of
a user's sessions, passkeys and security events) go the same way as one
``documents:runQuery`` (docs/decisions/0195-queries-over-rest.md). A refresh (a session's,
the provider's grant's) reads its document with the update time, and writes the fields it
changed under that update time as one ``documents:commit``
(docs/decisions/0260-refresh-over-rest.md); other writes, and transactions, stay on the
client library.

The connections are kept-alive HTTP/1.1 connections of ``rest_http.py``, kept in a small
per-process pool (made after gunicorn forks, like the gRPC channel). Against the emulator the
requests go to ``FIRESTORE_EMULATOR_HOST`` over plain HTTP as the emulator's owner; in production to
``firestore.googleapis.com`` over TLS, with the Application Default Credentials' access token.
Failures raise the same ``google.api_core`` exceptions the client library raises, under the
same retry budget and deadline, so adapters translate them as before; that module, and the
client library's names, are imported when first needed (a failure, a nanosecond timestamp, a
query of the library's own), not for a read or commit that succeeds
(docs/decisions/0432-the-cloud-sdk-on-first-use.md).
"""

from __future__ import annotations

import base64
import http.client
import json
import math
import os
import re
import ssl
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from infrastructure.firestore.names import storable_path
from infrastructure.firestore.rest_http import Connection
from infrastructure.firestore.sdk import exceptions, firestore

if TYPE_CHECKING:
    from google.api_core.datetime_helpers import DatetimeWithNanoseconds

PRODUCTION_HOST = "firestore.googleapis.com"
SCOPES = ("https://www.googleapis.com/auth/datastore",)
SHORT_TIMESTAMP = len("2026-01-02T03:04:05.123456Z")  # longer: nanoseconds, kept as such
_NO_CONNECTION = (OSError, http.client.HTTPException)

Headers = dict[str, str]


def _decode_double(raw: float | str) -> float:
    # JSON has no NaN or infinities: the API spells them as strings.
    return float(raw) if isinstance(raw, str) else raw


@dataclass(frozen=True)
class Select:
    """A plain query as the adapters ask it: the documents of one collection whose fields
    equal the values ``where`` names, in the order of ``order_by`` (a field and whether it
    descends; ``"__name__"`` is the document's id), after the cursor ``start_after`` (one
    value per ``order_by`` field, an id for ``"__name__"``), at most ``limit``.

    Sent over REST as the API's JSON written directly, and through the client library as its
    own query when the REST path is broken (``library``): one description, two spellings,
    compared on the emulator by tests/integration/test_rest_reads.py
    (docs/decisions/0205-queries-written-as-json.md)."""

    collection: str  # a path under the database's documents: "sessions", "users/u1/notes"
    where: tuple[tuple[str, Any], ...] = ()
    order_by: tuple[tuple[str, bool], ...] = ()
    start_after: tuple[Any, ...] = ()
    limit: int | None = None

    def wire(self, prefix: str) -> tuple[str, dict[str, Any]]:
        """The parent path (relative, "" for the database's root) and the ``StructuredQuery``
        in the API's JSON mapping; ``prefix``: the database's documents path with a slash."""
        parent, _, collection_id = self.collection.rpartition("/")
        query: dict[str, Any] = {"from": [{"collectionId": collection_id}]}
        filters = [
            {
                "fieldFilter": {
                    "field": {"fieldPath": name},
                    "op": "EQUAL",
                    "value": _encode(value),
                }
            }
            for name, value in self.where
        ]
        if len(filters) == 1:
            query["where"] = filters[0]
        elif filters:
            query["where"] = {"compositeFilter": {"op": "AND", "filters": filters}}
        if self.order_by:
            query["orderBy"] = [
                {
                    "field": {"fieldPath": name},
                    "direction": "DESCENDING" if descending else "ASCENDING",
                }
                for name, descending in self.order_by
            ]
        if self.start_after:
            names = [name for name, _ in self.order_by]
            query["startAt"] = {
                "values": [
                    {"referenceValue": f"{prefix}{self.collection}/{value}"}
                    if name == "__name__"
                    else _encode(value)
                    for name, value in zip(names, self.start_after, strict=True)
                ],
                "before": False,
            }
        if self.limit is not None:
            query["limit"] = self.limit
        return parent, query

    def library(self, client: firestore.Client) -> firestore.Query:
        """The same query through the client library."""
        collection = client.collection(self.collection)
        query: Any = collection
        for name, value in self.where:
            query = query.where(filter=firestore.FieldFilter(name, "==", value))
        for name, descending in self.order_by:
            direction = firestore.Query.DESCENDING if descending else firestore.Query.ASCENDING
            query = query.order_by(name, direction=direction)
        if self.start_after:
            query = query.start_after(
                {
                    name: collection.document(value) if name == "__name__" else value
                    for (name, _), value in zip(self.order_by, self.start_after, strict=True)
                }
            )
        if self.limit is not None:
            query = query.limit(self.limit)
        found: firestore.Query = query
        return found


def _encode(value: Any) -> dict[str, Any]:  # noqa: PLR0911 - one case per type
    """A value in the API's JSON mapping: a filter's or cursor's, or a written field's."""
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, bool):  # before int: a bool is an int
        return {"booleanValue": value}
    if isinstance(value, int):
        return {"integerValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value if math.isfinite(value) else _NON_FINITE[str(value)]}
    if isinstance(value, bytes):
        return {"bytesValue": base64.b64encode(value).decode()}
    if isinstance(value, datetime):
        return {"timestampValue": _encode_timestamp(value)}
    if value is None:
        return {"nullValue": None}
    if isinstance(value, list | tuple):
        return {"arrayValue": {"values": [_encode(item) for item in value]}}
    if isinstance(value, dict):
        return {"mapValue": {"fields": {name: _encode(item) for name, item in value.items()}}}
    raise ValueError(f"a value of a type firegate does not send over REST: {type(value)!r}")


# JSON has no NaN or infinities: the API spells them so.
_NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def _encode_timestamp(value: datetime) -> str:
    """RFC 3339 in UTC, as the client library writes it: a ``DatetimeWithNanoseconds`` (an
    update time read back) as its ``rfc3339()``, to the nanosecond, its zone ignored; any
    other aware datetime to the microsecond. Spelt with a format string rather than
    ``strftime`` (a refresh writes under its grant's or session's update time: about 15 µs
    less each; docs/benchmarks.md, "Per core against oidc-provider")."""
    if value.tzinfo is None:
        raise ValueError("a timestamp sent to Firestore must be timezone-aware")
    if _with_nanoseconds(value):
        nanos = value.nanosecond  # type: ignore[attr-defined]
        if nanos == 0 or value.year < _FOUR_DIGIT_YEAR:
            return value.rfc3339()  # type: ignore[attr-defined,no-any-return]
        return f"{_seconds(value)}.{str(nanos).rjust(9, '0').rstrip('0')}Z"
    value = value.astimezone(UTC)
    if value.year < _FOUR_DIGIT_YEAR:  # strftime's own spelling of such a year
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return f"{_seconds(value)}.{value.microsecond:06d}Z"


_FOUR_DIGIT_YEAR = 1000


def _seconds(value: datetime) -> str:
    """``value.strftime("%Y-%m-%dT%H:%M:%S")`` for a year of four digits."""
    return (
        f"{value.year}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    )


# DatetimeWithNanoseconds.from_rfc3339's pattern: seconds, up to nine digits of a second, Z
_RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z")


def _nanosecond_time(raw: str) -> DatetimeWithNanoseconds:
    """``DatetimeWithNanoseconds.from_rfc3339(raw)``, the same value (or ``ValueError``),
    without its ``strptime`` (about 20 µs of each refresh's read of its update time)."""
    match = _RFC3339.match(raw)
    if match is None:
        raise ValueError(f"Timestamp: {raw}, does not match RFC 3339")
    whole, fraction = match.groups()
    bare = datetime.fromisoformat(whole)
    from google.api_core.datetime_helpers import DatetimeWithNanoseconds  # noqa: PLC0415

    return DatetimeWithNanoseconds(  # type: ignore[no-untyped-call]
        bare.year,
        bare.month,
        bare.day,
        bare.hour,
        bare.minute,
        bare.second,
        nanosecond=int(fraction.ljust(9, "0")) if fraction else 0,
        tzinfo=UTC,
    )


# A field name the API takes as it is in a field path; any other is quoted in backticks.
_SIMPLE_FIELD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def _field_path(name: str) -> str:
    if _SIMPLE_FIELD.fullmatch(name):
        return name
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


@dataclass(frozen=True)
class Versioned:
    """A document's fields and its update time: a write built from them may be sent on
    the condition that the document is still that version."""

    fields: dict[str, Any]
    update_time: datetime


@dataclass(frozen=True)
class Write:
    """One document's write in a ``commit``: ``create`` a new document (``AlreadyExists`` if
    there is one), or update only ``fields`` of an existing one (``NotFound`` if there is
    none), of the version last updated at ``unchanged_since`` when one is given
    (``FailedPrecondition`` if it changed)."""

    path: str  # relative, as ``DocumentReference.path``
    fields: dict[str, Any]
    create: bool = False
    unchanged_since: datetime | None = None


class RestPathBroken(Exception):
    """The REST read cannot work in this process as configured: the endpoint refused the
    credentials (401, 403), none could be had, or it answered in a shape this reader does not
    know. Not an outage: the caller reads through the client library instead."""


def _unreachable(exc: Exception) -> exceptions.GoogleAPICallError:
    return exceptions.ServiceUnavailable(f"Firestore unreachable: {exc}")  # type: ignore[no-untyped-call]


_BY_API_STATUS = {  # the API's status: google.api_core's error of that name
    "DEADLINE_EXCEEDED": "DeadlineExceeded",
    "FAILED_PRECONDITION": "FailedPrecondition",
    "ABORTED": "Aborted",
    "ALREADY_EXISTS": "AlreadyExists",
}


def _error(status: int, data: bytes) -> Exception:
    try:
        error_body = json.loads(data)["error"]
        message, code = str(error_body["message"]), str(error_body.get("status", ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        message, code = data[:200].decode("utf-8", "replace"), ""
    if status in (http.client.UNAUTHORIZED, http.client.FORBIDDEN):
        return RestPathBroken(f"Firestore refused the REST read ({status}): {message}")
    # By the API's own status first: a deadline can come back as 504, which HTTP status
    # alone maps to GatewayTimeout, an error no adapter counts as an outage; and a commit's
    # outcomes that share an HTTP status with others (400, 409) are raised as the client
    # library raises them: a precondition that failed, a document that exists, a contended
    # commit to send again.
    by_code = _BY_API_STATUS.get(code)
    if by_code is not None:
        error_type: type[exceptions.GoogleAPICallError] = getattr(exceptions, by_code)
        return error_type(message)
    if status >= 500 or status == http.client.TOO_MANY_REQUESTS or code == "UNAVAILABLE":
        return exceptions.ServiceUnavailable(message)  # type: ignore[no-untyped-call]
    error: Exception = exceptions.from_http_status(status, message)  # type: ignore[no-untyped-call]
    return error


def _with_nanoseconds(value: datetime) -> bool:
    # A DatetimeWithNanoseconds: google.api_core's, so none exists before it is imported.
    if "google.api_core.datetime_helpers" not in sys.modules:
        return False
    from google.api_core.datetime_helpers import DatetimeWithNanoseconds  # noqa: PLC0415

    return isinstance(value, DatetimeWithNanoseconds)


def _decode_timestamp(raw: str) -> datetime:
    if len(raw) <= SHORT_TIMESTAMP:
        return datetime.fromisoformat(raw)
    return _nanosecond_time(raw)


Post = Callable[[str, bytes], Any]
_around_posts: list[Callable[[Post], Post]] = []


def wrap_posts(around: Callable[[Post], Post]) -> None:
    """Put ``around`` about each request of the readers made from now on (a trace's span:
    docs/operations.md, "Traces"); none by default, so nothing is added to a request."""
    _around_posts.append(around)


class BatchReader:
    """Reads documents by path in one ``batchGet``, and runs queries with ``runQuery``; the
    fields as the client library decodes them (timestamps as aware datetimes, references as
    ``DocumentReference``)."""

    def __init__(
        self,
        client: firestore.Client,
        *,
        retry: Callable[[Callable[..., Any]], Callable[..., Any]],
        timeout: float,
        host: str = PRODUCTION_HOST,
        tls: bool = True,
        emulator: bool = False,
        credentials: Any = None,
    ) -> None:
        self._client = client
        post: Post = self._post
        for around in _around_posts:
            post = around(post)
        self._once_post = post
        self._retried_post = retry(post)  # wrapped once, not at every call
        self._timeout = timeout
        self._host = host
        self._tls = tls
        self._emulator = emulator
        self._credentials = credentials
        self._credentials_lock = threading.Lock()
        database = f"projects/{client.project}/databases/(default)"
        self._prefix = f"{database}/documents/"
        self._url = f"/v1/{database}/documents:batchGet"
        self._commit_url = f"/v1/{database}/documents:commit"
        self._database = database
        # Kept-alive connections, the most recent last; deque's append and pop are atomic.
        self._idle: deque[Connection] = deque()
        self._tls_context = ssl.create_default_context() if tls else None
        self.broken = False  # set once by give_up(): the callers read another way

    def give_up(self) -> bool:
        """Mark this reader unusable; True for the one caller that marked it first."""
        with self._credentials_lock:
            first, self.broken = not self.broken, True
        return first

    @classmethod
    def for_client(cls, client: firestore.Client, *, retry: Any, timeout: float) -> BatchReader:
        """Where the client library sends its requests: the emulator, or Firestore."""
        emulator_host = os.environ.get("FIRESTORE_EMULATOR_HOST")
        if emulator_host:
            return cls(
                client, retry=retry, timeout=timeout, host=emulator_host, tls=False, emulator=True
            )
        return cls(client, retry=retry, timeout=timeout)

    def read(self, paths: Sequence[str], *, retry: bool = True) -> list[dict[str, Any] | None]:
        """The fields of each document (``None`` where it does not exist), in order of
        ``paths`` (relative, as ``DocumentReference.path``); one attempt without ``retry``."""
        found = self._batch_get(paths, retry=retry)
        try:
            return [
                None if document is None else self._decode_fields(document.get("fields", {}))
                for document in found
            ]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise RestPathBroken(f"Firestore's REST answer was not understood: {exc}") from exc

    def read_versioned(self, path: str) -> Versioned | None:
        """One document's fields and update time (to the nanosecond, as the client
        library's snapshot has it), or ``None`` where it does not exist."""
        (found,) = self.read_all_versioned([path])
        return found

    def read_all_versioned(self, paths: Sequence[str]) -> list[Versioned | None]:
        """Each document's fields and update time (``None`` where it does not exist), in
        order of ``paths``, in one ``batchGet``."""
        found = self._batch_get(paths, retry=True)
        try:
            return [
                None
                if document is None
                else Versioned(
                    self._decode_fields(document.get("fields", {})),
                    _nanosecond_time(document["updateTime"]),
                )
                for document in found
            ]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise RestPathBroken(f"Firestore's REST answer was not understood: {exc}") from exc

    def update(self, path: str, fields: dict[str, Any], *, unchanged_since: datetime) -> None:
        """Set ``fields`` of the document at ``path`` (only those: an update mask) if it is
        still the version last updated at ``unchanged_since``; one ``commit``. Raises the
        client library's ``FailedPrecondition`` when it is not (or no longer exists)."""
        self.commit([Write(path, fields, unchanged_since=unchanged_since)])

    def commit(self, writes: Sequence[Write]) -> None:
        """The writes, all or none, in one ``commit``; the client library's exceptions
        when a precondition fails (see ``Write``)."""
        body = json.dumps({"writes": [self._write(write) for write in writes]}).encode()
        answer = self._retried_post(self._commit_url, body)
        if not isinstance(answer, dict) or len(answer.get("writeResults", ())) != len(writes):
            raise RestPathBroken(f"Firestore's REST answer was not understood: {answer!r:.200}")

    def _write(self, write: Write) -> dict[str, Any]:
        document = {
            "name": self._prefix + write.path,
            "fields": {name: _encode(value) for name, value in write.fields.items()},
        }
        if write.create:
            return {"update": document, "currentDocument": {"exists": False}}
        condition: dict[str, Any] = (
            {"exists": True}
            if write.unchanged_since is None
            else {"updateTime": _encode_timestamp(write.unchanged_since)}
        )
        return {
            "update": document,
            "updateMask": {"fieldPaths": [_field_path(name) for name in write.fields]},
            "currentDocument": condition,
        }

    def _batch_get(self, paths: Sequence[str], *, retry: bool) -> list[dict[str, Any] | None]:
        """The API's ``found`` document for each path (``None`` where it is missing, or no
        document could be there: Firestore answers 400 to a name it refuses)."""
        names = [self._prefix + path for path in paths if storable_path(path)]
        if not names:
            return [None] * len(paths)
        body = json.dumps({"documents": names}).encode()
        post = self._retried_post if retry else self._once_post
        answers = post(self._url, body)
        try:
            if not isinstance(answers, list) or not all(
                "found" in answer or "missing" in answer for answer in answers
            ):
                raise TypeError("a batchGet answer is a list of found or missing documents")
            found = {
                answer["found"]["name"]: answer["found"] for answer in answers if "found" in answer
            }
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise RestPathBroken(f"Firestore's REST answer was not understood: {exc}") from exc
        return [found.get(self._prefix + path) for path in paths]

    def query(self, query: firestore.Query | Select) -> list[tuple[str, dict[str, Any]]]:
        """The id and fields of each document ``query`` finds, in the order it finds them,
        from one ``runQuery`` outside any transaction. A ``Select`` is written as the API's
        JSON directly; a library query is sent as the client library would send it (its
        own ``StructuredQuery``, in the API's JSON mapping)."""
        try:
            if isinstance(query, Select):
                parent, wire = query.wire(self._prefix)
            else:
                # The library builds the request from these two private parts as well;
                # should a version of it move them, this path is broken and the caller
                # streams instead.
                collection = query._parent
                structured = query._to_protobuf()
                above = collection.parent
                parent = above.path if above is not None else ""
                from google.protobuf import json_format  # noqa: PLC0415 - the library's query

                wire = json_format.MessageToDict(type(structured).pb(structured))
        except (AttributeError, TypeError, ValueError) as exc:
            raise RestPathBroken(f"the query cannot be sent over REST: {exc}") from exc
        under = f"/{parent}" if parent else ""
        url = f"/v1/{self._database}/documents{under}:runQuery"
        answers = self._retried_post(url, json.dumps({"structuredQuery": wire}).encode())
        try:
            if not isinstance(answers, list) or not all(
                "document" in answer or "readTime" in answer for answer in answers
            ):
                raise TypeError("a runQuery answer is a list of documents and read times")
            return [
                (
                    answer["document"]["name"].rpartition("/")[2],
                    self._decode_fields(answer["document"].get("fields", {})),
                )
                for answer in answers
                if "document" in answer
            ]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise RestPathBroken(f"Firestore's REST answer was not understood: {exc}") from exc

    # -- one request ---------------------------------------------------------------------

    def _post(self, url: str, body: bytes) -> Any:
        headers = self._headers()
        connection, reused = self._connection()
        while True:
            try:
                status, data, keep = connection.post(url, body, headers)
                break
            except _NO_CONNECTION as exc:
                connection.close()
                if not reused:
                    raise _unreachable(exc) from exc
                # A kept-alive connection the other side had closed: once more, on a new one.
                connection, reused = self._new_connection(), False
        if keep:
            self._idle.append(connection)
        else:
            connection.close()
        if status != http.client.OK:
            raise _error(status, data)
        try:
            return json.loads(data)
        except ValueError as exc:  # a proxy's page, a cut-off body: an outage, not a 500
            raise _unreachable(exc) from exc

    def _connection(self) -> tuple[Connection, bool]:
        try:
            return self._idle.pop(), True
        except IndexError:
            return self._new_connection(), False

    def _new_connection(self) -> Connection:
        return Connection(self._host, timeout=self._timeout, tls=self._tls_context)

    def _headers(self) -> Headers:
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
                raise RestPathBroken(f"no credentials for the REST read: {exc}") from exc
            self._credentials.apply(headers)
        return headers

    # -- values: the API's JSON encoding, decoded to what the client library returns ------

    def _decode_fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        return {name: self._decode(value) for name, value in fields.items()}

    def _decode(self, value: dict[str, Any]) -> Any:  # noqa: PLR0911 - one case per type
        ((kind, raw),) = value.items()
        if kind == "stringValue":
            return raw
        if kind == "integerValue":
            return int(raw)
        if kind == "timestampValue":
            return _decode_timestamp(raw)
        if kind == "booleanValue":
            return raw
        if kind == "nullValue":
            return None
        if kind == "mapValue":
            return self._decode_fields(raw.get("fields", {}))
        if kind == "arrayValue":
            return [self._decode(item) for item in raw.get("values", [])]
        if kind == "doubleValue":
            return _decode_double(raw)
        if kind == "bytesValue":
            return base64.b64decode(raw)
        if kind == "referenceValue":
            return self._client.document(raw.removeprefix(self._prefix))
        if kind == "geoPointValue":
            return firestore.GeoPoint(raw.get("latitude", 0.0), raw.get("longitude", 0.0))
        raise ValueError(f"a Firestore value of a type firegate does not store: {kind!r}")
