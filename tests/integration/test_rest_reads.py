"""The REST batch read and query (infrastructure/firestore/rest_reads.py) answer exactly what the
client library's ``get_all`` and ``stream`` answer, on the emulator, and fail like the library
does (docs/decisions/0151-batch-reads-over-rest.md, 0195-queries-over-rest.md)."""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from google.api_core import exceptions
from google.api_core.datetime_helpers import DatetimeWithNanoseconds
from google.api_core.retry import Retry, if_exception_type
from google.auth.credentials import AnonymousCredentials
from google.auth.exceptions import RefreshError
from google.cloud import firestore as gcf

from application.ports import StagedWrites
from domain.errors import Unavailable
from domain.events.security_events import SecurityEvent
from domain.provider.oauth import AuthorizationCode, digest
from infrastructure.firestore import client as client_module
from infrastructure.firestore.accounts.users import FirestorePrincipals
from infrastructure.firestore.client import batch_reader, read_documents, run_query
from infrastructure.firestore.events.security_events import FirestoreSecurityEvents
from infrastructure.firestore.provider.oauth import FirestoreOAuthGrants
from infrastructure.firestore.rest_reads import BatchReader, Select, Write
from infrastructure.firestore.signin.sessions import FirestoreSessionRepository

pytestmark = pytest.mark.integration

SHORT_RETRY = Retry(
    initial=0.01,
    maximum=0.05,
    timeout=0.3,
    predicate=if_exception_type(exceptions.ServiceUnavailable),
)


def public_read(client: Any, refs: list[Any]) -> list[dict[str, Any] | None]:
    found = {snap.reference.path: snap for snap in client.get_all(refs)}
    return [found[ref.path].to_dict() if found[ref.path].exists else None for ref in refs]


def test_reads_what_the_client_library_reads(firestore: Any) -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    nanos = DatetimeWithNanoseconds.from_rfc3339("2026-01-02T03:04:05.123456789Z")  # type: ignore[no-untyped-call]
    user = firestore.collection("users").document("ü 1")
    user.set(
        {
            "name": "Ünïcode ✓",
            "n": 3,
            "big": 2**62,
            "negative": -7,
            "none": None,
            "flag": True,
            "off": False,
            "at": when,
            "whole_second": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            "nanos": nanos,
            "ratio": 1.5,
            "whole_float": 2.0,
            "nan": math.nan,
            "inf": math.inf,
            "ninf": -math.inf,
            "nested": {"list": [1, "two", {"x": 1.5, "y": []}, {}], "bytes": b"\x00\x01\xff"},
            "empty_map": {},
            "empty_list": [],
            "ref": firestore.collection("x").document("y"),
            "place": gcf.GeoPoint(1.0, -2.5),
            "dotted.key": "v",
        }
    )
    empty = firestore.collection("sessions").document("empty")
    empty.set({})
    missing = firestore.collection("sessions").document("missing")
    refs = [missing, user, empty, user]

    rest = read_documents(firestore, refs)
    library = public_read(firestore, refs)

    assert rest[0] is None and rest[2] == {} and rest[1] is not None
    assert rest[3] is not None and sorted(rest[3]) == sorted(rest[1])  # asked twice, read once
    fields, expected = rest[1], library[1]
    assert expected is not None
    assert math.isnan(fields.pop("nan")) and math.isnan(expected.pop("nan"))
    assert fields == expected
    assert fields["at"] == when and fields["nested"]["bytes"] == b"\x00\x01\xff"
    assert fields["nanos"] == nanos.replace(microsecond=123456)  # Firestore keeps microseconds
    assert isinstance(fields["ref"], gcf.DocumentReference) and fields["ref"].path == "x/y"
    assert isinstance(fields["n"], int) and isinstance(fields["whole_float"], float)


def streamed(query: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(snap.id, snap.to_dict()) for snap in query.stream()]


BASE = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def some_events(firestore: Any) -> None:
    """Five events (four of u1, with ties on ``at``) and a note under a user's document."""
    events = firestore.collection("security_events")
    base = BASE
    for n, event_id in enumerate(["b", "a", "ü", "c", "d"]):
        events.document(event_id).set(
            {
                "user_id": "u1" if event_id != "d" else "u2",
                "type": "login" if n % 2 else "logout",
                "at": base.replace(second=n % 3),  # ties, broken by the document name
                "n": n,
                "nested": {"list": [n, "x", None], "ref": events.document("a")},
            }
        )
    firestore.collection("users").document("u1").collection("notes").document("n1").set(
        {"text": "under a document"}
    )


def test_queries_find_what_the_client_library_streams(firestore: Any) -> None:
    some_events(firestore)
    events, base = firestore.collection("security_events"), BASE
    of_u1 = events.where(filter=gcf.FieldFilter("user_id", "==", "u1"))
    newest = of_u1.order_by("at", direction=gcf.Query.DESCENDING).order_by(
        "__name__", direction=gcf.Query.DESCENDING
    )
    queries = {
        "equality": of_u1.limit(10),
        "limited": of_u1.limit(2),
        "two filters": of_u1.where(filter=gcf.FieldFilter("type", "==", "login")).limit(10),
        "ordered": newest.limit(10),
        "after a cursor": newest.start_after(
            {"at": base.replace(second=1), "__name__": events.document("b")}
        ).limit(10),
        "nothing": events.where(filter=gcf.FieldFilter("user_id", "==", "nobody")).limit(5),
        "a subcollection": firestore.collection("users/u1/notes").limit(5),
    }
    for name, query in queries.items():
        expected = streamed(query)
        assert run_query(firestore, query) == expected, name
    assert [i for i, _ in run_query(firestore, newest.limit(10))] == ["ü", "a", "c", "b"]
    assert run_query(firestore, queries["nothing"]) == []
    found = dict(run_query(firestore, queries["equality"]))
    assert found["a"]["at"] == base.replace(second=1)
    assert isinstance(found["a"]["nested"]["ref"], gcf.DocumentReference)


def test_selects_find_what_the_client_library_streams(firestore: Any) -> None:
    some_events(firestore)
    of_u1 = Select("security_events", (("user_id", "u1"),), limit=10)
    newest = replace(of_u1, order_by=(("at", True), ("__name__", True)))
    selects = {
        "equality": of_u1,
        "limited": replace(of_u1, limit=2),
        "no limit": replace(of_u1, limit=None),
        "two filters": replace(of_u1, where=(("user_id", "u1"), ("type", "login"))),
        "ordered": newest,
        "ascending": replace(newest, order_by=(("at", False), ("__name__", False))),
        "after a cursor": replace(newest, start_after=(BASE.replace(second=1), "b")),
        "an int": Select("security_events", (("n", 3),)),
        "nothing": Select("security_events", (("user_id", "nobody"),), limit=5),
        "a subcollection": Select("users/u1/notes", limit=5),
    }
    for name, select in selects.items():
        expected = streamed(select.library(firestore))
        assert run_query(firestore, select) == expected, name
    assert [i for i, _ in run_query(firestore, newest)] == ["ü", "a", "c", "b"]
    after = run_query(firestore, selects["after a cursor"])
    assert [i for i, _ in after] == ["a", "c", "b"]  # "a" ties on ``at``, sorts before "b"
    assert [i for i, _ in run_query(firestore, selects["a subcollection"])] == ["n1"]


def test_the_adapters_list_the_same_over_rest_and_through_the_library(
    firestore: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = firestore.collection("security_events")
    sessions = firestore.collection("sessions")
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    for n in range(4):
        events.document(f"e{n}").set({"user_id": "u1", "type": "login", "at": at.replace(minute=n)})
        sessions.document(f"session{n}").set(
            {
                "user_id": "u1",
                "token_version": n,
                "created_at": at,
                "last_used_at": at.replace(minute=n),
                "expires_at": at.replace(year=2027),
                "refresh_hashes": ["h"],
                "spent": [{"hash": "g", "at": at}],
                "amr": ["pwd"],
            }
        )

    def lists() -> tuple[Any, ...]:
        store = FirestoreSecurityEvents(firestore)
        first = store.list_page("u1", None, None, 2)
        return (
            first,
            store.list_page("u1", "login", (first[-1].at, first[-1].id), 10),
            FirestoreSessionRepository(firestore).list_for_user("u1", 10),
        )

    over_rest = lists()
    broken = _reader("127.0.0.1:9")
    broken.give_up()  # the client library's path, as after a refused REST read
    monkeypatch.setitem(client_module._readers, firestore, broken)
    assert lists() == over_rest
    assert [e.id for e in over_rest[0] + over_rest[1]] == ["e3", "e2", "e1", "e0"]
    assert [s.id for s in over_rest[2]] == [f"session{n}" for n in range(4)]


def test_a_timestamp_with_nanoseconds_keeps_them() -> None:
    from infrastructure.firestore.rest_reads import _decode_timestamp

    exact = _decode_timestamp("2026-01-02T03:04:05.123456789Z")
    assert isinstance(exact, DatetimeWithNanoseconds) and exact.nanosecond == 123456789
    assert _decode_timestamp("2026-01-02T03:04:05Z") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_one_reader_and_pool_per_client(firestore: Any) -> None:
    assert batch_reader(firestore) is batch_reader(firestore)


class _Answers(BaseHTTPRequestHandler):
    """A stand-in Firestore for failures the emulator cannot be made to show."""

    protocol_version = "HTTP/1.1"
    status = 200
    close_after = False
    garbage = False  # a 200 whose body is not JSON (a proxy's page, a cut-off answer)
    code = "X"  # the API's own status name in an error's body
    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen.append(self.headers.get("Authorization", ""))
        body = json.dumps(
            [{"missing": "projects/p/databases/(default)/documents/a/b"}]
            if self.status == 200
            else {"error": {"code": self.status, "message": "try later", "status": self.code}}
        ).encode()
        if self.garbage:
            body = b"<html>upstream connect error</html>"
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        # Keep-alive announced, then the connection is dropped: a pooled connection the
        # other side has closed, as a load balancer's idle timeout does.
        self.close_connection = type(self).close_after

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stand_in() -> Iterator[tuple[str, type[_Answers]]]:
    handler = type("Handler", (_Answers,), {"seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def _reader(host: str, **kwargs: Any) -> BatchReader:
    client = gcf.Client(project="p", credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
    options: dict[str, Any] = {"tls": False, "emulator": True} | kwargs
    return BatchReader(client, retry=SHORT_RETRY, timeout=2.0, host=host, **options)


def test_a_closed_kept_alive_connection_is_replaced_once(
    stand_in: tuple[str, type[_Answers]],
) -> None:
    host, handler = stand_in
    handler.close_after = True
    reader = _reader(host)
    for _ in range(3):
        assert reader.read(["a/b"]) == [None]
    assert len(handler.seen) == 3


def test_firestore_errors_are_the_library_s_errors(stand_in: tuple[str, type[_Answers]]) -> None:
    host, handler = stand_in
    handler.status = 503
    reader = _reader(host)
    with pytest.raises(exceptions.RetryError):  # retried within the budget, then given up
        reader.read(["a/b"])
    assert len(handler.seen) >= 2
    handler.status = 404
    with pytest.raises(exceptions.NotFound, match="try later"):
        reader.read(["a/b"])


@pytest.mark.parametrize("status", [500, 502, 504, 429, 200])
def test_every_server_side_failure_is_an_outage_not_a_500(
    stand_in: tuple[str, type[_Answers]],
    firestore: Any,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
) -> None:
    host, handler = stand_in
    handler.status = status  # 504 alone is GatewayTimeout, which no adapter translated
    handler.garbage = status == 200
    reader = _reader(host)
    monkeypatch.setitem(client_module._readers, firestore, reader)
    with pytest.raises(Unavailable):
        FirestorePrincipals(firestore).load("u1", "s1")


def test_an_unreachable_firestore_is_a_503_within_the_budget(
    firestore: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = _reader("127.0.0.1:9")  # the discard port: nothing listens
    with pytest.raises(exceptions.RetryError):
        reader.read(["a/b"])
    monkeypatch.setitem(client_module._readers, firestore, reader)
    with pytest.raises(Unavailable):
        FirestorePrincipals(firestore).load("u1", "s1")


def test_production_requests_carry_the_credentials_token(
    stand_in: tuple[str, type[_Answers]],
) -> None:
    class Credentials:
        valid = False
        refreshed = 0

        def refresh(self, request: object) -> None:
            self.refreshed += 1
            self.valid = True

        def apply(self, headers: dict[str, str]) -> None:
            headers["Authorization"] = "Bearer from-adc"

    host, handler = stand_in
    credentials = Credentials()
    reader = _reader(host, emulator=False, credentials=credentials)  # TLS aside, production
    for _ in range(2):
        assert reader.read(["a/b"]) == [None]
    assert handler.seen == ["Bearer from-adc", "Bearer from-adc"]
    assert credentials.refreshed == 1


class _Shape(_Answers):
    """A 200 with JSON of a shape the batchGet API never answers."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen.append(self.headers.get("Authorization", ""))
        body = json.dumps({"unexpected": [1, 2]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _fallback_case(
    case: str, stand_in: tuple[str, type[_Answers]]
) -> tuple[BatchReader, type[_Answers]]:
    host, handler = stand_in
    if case == "forbidden":
        handler.status = 403
        return _reader(host), handler
    if case == "unauthenticated":
        handler.status = 401
        return _reader(host), handler
    if case == "no_credentials":

        class Broken:
            valid = False

            def refresh(self, request: object) -> None:
                raise RefreshError("no token for you")  # type: ignore[no-untyped-call]

            def apply(self, headers: dict[str, str]) -> None:  # pragma: no cover - never valid
                raise AssertionError

        return _reader(host, emulator=False, credentials=Broken()), handler
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["forbidden", "unauthenticated", "no_credentials", "shape"])
def test_a_broken_rest_path_falls_back_to_the_client_library_and_says_so_once(
    stand_in: tuple[str, type[_Answers]],
    firestore: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    case: str,
) -> None:
    ref = firestore.collection("users").document("u1")
    ref.set({"name": "Alice", "n": 3})
    if case == "shape":
        handler: type[_Answers] = type("Handler", (_Shape,), {"seen": []})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        reader = _reader(f"127.0.0.1:{server.server_address[1]}")
    else:
        reader, handler = _fallback_case(case, stand_in)
    monkeypatch.setitem(client_module._readers, firestore, reader)
    caplog.set_level(logging.WARNING, logger="firegate")
    for _ in range(3):
        assert read_documents(firestore, [ref, firestore.document("users/none")]) == [
            {"name": "Alice", "n": 3},
            None,
        ]
    assert len(handler.seen) <= 1, "once broken, the REST path is not tried again"
    warnings = [r for r in caplog.records if "client library" in r.getMessage()]
    assert len(warnings) == 1
    if case == "shape":
        server.shutdown()
        server.server_close()


def test_a_query_falls_back_to_the_client_library_when_the_rest_path_is_broken(
    stand_in: tuple[str, type[_Answers]],
    firestore: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    firestore.collection("passkeys").document("k1").set({"user_id": "u1", "name": "key"})
    query = firestore.collection("passkeys").where(filter=gcf.FieldFilter("user_id", "==", "u1"))
    select = Select("passkeys", (("user_id", "u1"),), limit=5)
    host, handler = stand_in
    handler.status = 403
    monkeypatch.setitem(client_module._readers, firestore, _reader(host))
    caplog.set_level(logging.WARNING, logger="firegate")
    for _ in range(2):
        assert run_query(firestore, query.limit(5)) == [("k1", {"user_id": "u1", "name": "key"})]
        assert run_query(firestore, select) == [("k1", {"user_id": "u1", "name": "key"})]
    assert len(handler.seen) == 1, "once broken, the REST path is not tried again"
    assert len([r for r in caplog.records if "client library" in r.getMessage()]) == 1


@pytest.mark.parametrize("status", [503, 504, 200])
def test_a_query_in_an_outage_is_a_503_not_a_fallback(
    stand_in: tuple[str, type[_Answers]],
    firestore: Any,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
) -> None:
    host, handler = stand_in
    handler.status = status
    handler.garbage = status == 200
    reader = _reader(host)
    monkeypatch.setitem(client_module._readers, firestore, reader)
    with pytest.raises(Unavailable):
        FirestoreSessionRepository(firestore).list_for_user("u1", 10)
    assert not reader.broken
    assert handler.seen, "the query went over REST"


def test_an_outage_is_no_reason_to_fall_back(
    stand_in: tuple[str, type[_Answers]], firestore: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    host, handler = stand_in
    handler.status = 503
    monkeypatch.setitem(client_module._readers, firestore, _reader(host))
    for _ in range(2):
        with pytest.raises(Unavailable):
            FirestorePrincipals(firestore).load("u1", "s1")
    assert len(handler.seen) >= 4, "still the REST path after an outage"


def test_readiness_fails_while_the_rest_path_is_broken(
    stand_in: tuple[str, type[_Answers]], firestore: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bootstrap.platform import FirestoreProbe

    host, handler = stand_in
    probe = FirestoreProbe(firestore)
    assert probe.ready()
    handler.status = 403
    monkeypatch.setitem(client_module._readers, firestore, _reader(host))
    assert not probe.ready(), "a deploy whose REST reads fail takes no traffic"


# -- the session's versioned read and its update (docs/decisions/0260-refresh-over-rest.md) --


def test_the_grant_holders_read_the_same_over_rest_and_through_the_library(
    firestore: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reads a token's liveness and a code exchange make name their documents by path
    (``FirestoreGrantHolders``): through the client library (a broken REST path) too, with
    the same update time."""
    firestore.collection("oauth_grants").document("g1").set({"user_id": "u1", "scope": "openid"})
    firestore.collection("oauth_codes").document("c1").set({"user_id": "u1", "grant_id": "g1"})
    firestore.collection("oauth_revoked_tokens").document("j1").set({"client_id": "a"})
    firestore.collection("users").document("u1").set({"username": "alice"})
    paths = [["oauth_grants/g1", "users/u1"], ["oauth_codes/c1", "users/nobody"]]

    def reads() -> tuple[Any, ...]:
        from infrastructure.firestore.client import read_versioned_documents

        versioned = [read_versioned_documents(firestore, pair) for pair in paths]
        return (
            [read_documents(firestore, pair) for pair in paths],
            [[(found[0], found[1]) if found else None for found in pair] for pair in versioned],
            read_documents(firestore, ["oauth_revoked_tokens/j1", "oauth_revoked_tokens/j2"]),
        )

    over_rest = reads()
    broken = _reader("127.0.0.1:9")
    broken.give_up()  # the client library's path, as after a refused REST read
    monkeypatch.setitem(client_module._readers, firestore, broken)
    assert reads() == over_rest
    grants, versioned, revoked = over_rest
    assert grants[0][0] == {"user_id": "u1", "scope": "openid"}
    assert grants[1][1] is None and versioned[1][1] is None
    assert revoked == [{"client_id": "a"}, None]


def test_a_versioned_read_has_the_update_time_the_library_s_snapshot_has(firestore: Any) -> None:
    ref = firestore.collection("sessions").document("s1")
    ref.set({"user_id": "u1", "refresh_hashes": ["h"], "at": BASE})
    reader = batch_reader(firestore)

    found = reader.read_versioned("sessions/s1")
    snap = ref.get()

    assert found is not None
    assert found.fields == snap.to_dict()
    assert found.update_time == snap.update_time
    assert isinstance(found.update_time, DatetimeWithNanoseconds)
    assert found.update_time.nanosecond == snap.update_time.nanosecond
    assert reader.read_versioned("sessions/none") is None


def test_an_update_writes_its_fields_only_while_the_document_is_that_version(
    firestore: Any,
) -> None:
    ref = firestore.collection("sessions").document("s1")
    ref.set({"user_id": "u1", "refresh_hashes": ["h"], "rotations": 1, "kept": {"x": 1}})
    reader = batch_reader(firestore)
    first = reader.read_versioned("sessions/s1")
    assert first is not None
    changed = {
        "refresh_hashes": ["h2"],
        "rotations": 2,
        "rotated_at": BASE,
        "spent_untagged": None,
        "flag": True,
        "nested": {"list": [1, "two", BASE], "empty": []},
        "a name`with.dots": "quoted",
    }

    reader.update("sessions/s1", changed, unchanged_since=first.update_time)

    assert ref.get().to_dict() == {"user_id": "u1", "kept": {"x": 1}, **changed}
    with pytest.raises(exceptions.FailedPrecondition):  # no longer the version read
        reader.update("sessions/s1", {"rotations": 9}, unchanged_since=first.update_time)
    assert ref.get().to_dict()["rotations"] == 2
    second = reader.read_versioned("sessions/s1")
    assert second is not None and second.update_time > first.update_time
    ref.delete()
    with pytest.raises((exceptions.FailedPrecondition, exceptions.NotFound)):
        reader.update("sessions/s1", {"rotations": 9}, unchanged_since=second.update_time)
    assert not ref.get().exists, "an update under a precondition never creates the document"


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (400, "FAILED_PRECONDITION", exceptions.FailedPrecondition),
        (409, "ABORTED", exceptions.Aborted),
        (404, "NOT_FOUND", exceptions.NotFound),
        (409, "ALREADY_EXISTS", exceptions.AlreadyExists),
    ],
)
def test_a_commit_fails_with_the_library_s_errors(
    stand_in: tuple[str, type[_Answers]], status: int, code: str, error: type[Exception]
) -> None:
    host, handler = stand_in
    handler.status, handler.code = status, code
    with pytest.raises(error):
        _reader(host).update("sessions/s1", {"rotations": 1}, unchanged_since=BASE)


def test_a_commit_creates_and_updates_all_or_none(firestore: Any) -> None:
    codes, grants = firestore.collection("oauth_codes"), firestore.collection("oauth_grants")
    codes.document("k1").set({"spent": False, "scope": "openid"})
    reader = batch_reader(firestore)
    created = {
        "text": "t",
        "count": 3,
        "ratio": 0.5,
        "raw": b"\x00\xff",
        "huge": math.inf,
        "at": BASE,
        "none": None,
        "list": [1, {"x": "y"}],
    }

    reader.commit(
        [
            Write("oauth_codes/k1", {"spent": True}),
            Write("oauth_grants/g1", created, create=True),
        ]
    )

    assert codes.document("k1").get().to_dict() == {"spent": True, "scope": "openid"}
    assert grants.document("g1").get().to_dict() == created
    with pytest.raises(exceptions.AlreadyExists):  # the grant exists: nothing is written
        reader.commit(
            [
                Write("oauth_codes/k1", {"spent": False}),
                Write("oauth_grants/g1", {"other": 1}, create=True),
            ]
        )
    with pytest.raises(exceptions.NotFound):  # an update never creates
        reader.commit(
            [
                Write("oauth_grants/g2", {"other": 1}, create=True),
                Write("oauth_codes/none", {"spent": True}),
            ]
        )
    assert codes.document("k1").get().to_dict() == {"spent": True, "scope": "openid"}
    assert grants.document("g1").get().to_dict() == created
    assert not grants.document("g2").get().exists
    assert not codes.document("none").get().exists


@pytest.mark.parametrize("rest", [True, False])
def test_a_code_is_spent_the_same_over_rest_and_through_the_library(
    stand_in: tuple[str, type[_Answers]],
    firestore: Any,
    monkeypatch: pytest.MonkeyPatch,
    rest: bool,
) -> None:
    host, handler = stand_in
    handler.status = 403  # refused: the client library's path from then on
    if not rest:
        monkeypatch.setitem(client_module._readers, firestore, _reader(host))
    grants = FirestoreOAuthGrants(firestore)
    now = datetime.now(UTC)
    code = AuthorizationCode(
        hash=digest("a-code"),
        client_id="c1",
        user_id="u1",
        grant_id="g1",
        redirect_uri="https://app.example.com/cb",
        scope="openid",
        code_challenge="c" * 43,
        code_challenge_method="S256",
        created_at=now,
        auth_time=now,
    )
    grants.add_code(code)
    event = SecurityEvent(id="e1", at=now, type="oauth.granted", user_id="u1", reason="c1")

    def issuing(found: AuthorizationCode) -> Any:
        return found.spend("c1", now).issuing(0, digest("r1"), now + timedelta(days=1))

    first = grants.spend_code(code.hash, issuing, StagedWrites(events=(event,)), read=code)
    again = grants.spend_code(code.hash, issuing, read=code)  # a stale read: read again

    assert first is not None and first.outcome == "spent"
    assert again is not None and again.outcome == "reused"
    grant = grants.get("g1")
    assert grant is not None and grant.issued and grant.revoked  # the reuse revoked it
    assert firestore.collection("security_events").document("e1").get().exists
    if not rest:
        assert len(handler.seen) == 1, "once refused, the REST path is not tried again"


def _a_session(firestore: Any) -> None:
    firestore.collection("sessions").document("session1").set(
        {
            "user_id": "u1",
            "token_version": 0,
            "created_at": BASE,
            "last_used_at": BASE,
            "expires_at": BASE.replace(year=2027),
            "refresh_hashes": ["h"],
            "amr": ["pwd"],
        }
    )


@pytest.mark.parametrize("rest", [True, False])
def test_a_session_is_read_and_changed_the_same_over_rest_and_through_the_library(
    stand_in: tuple[str, type[_Answers]],
    firestore: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    rest: bool,
) -> None:
    _a_session(firestore)
    host, handler = stand_in
    handler.status = 403  # refused: the client library's path from then on
    if not rest:
        monkeypatch.setitem(client_module._readers, firestore, _reader(host))
    caplog.set_level(logging.WARNING, logger="firegate")
    repository = FirestoreSessionRepository(firestore)
    read = repository.read("session1")
    assert read is not None and read.session.refresh_hashes == ("h",)

    def rotated(session: Any) -> Any:
        return replace(session, refresh_hashes=("h2",), rotations=session.rotations + 1)

    after = repository.update("session1", rotated, read=read)
    raced = repository.update("session1", rotated, read=read)  # a stale read: read again

    assert after is not None and after.rotations == 1
    assert raced is not None and raced.rotations == 2
    assert repository.get("session1") == raced
    assert repository.read("missing1") is None
    assert repository.update("missing1", rotated) is None
    if not rest:
        assert len(handler.seen) == 1, "once refused, the REST path is not tried again"
        assert len([r for r in caplog.records if "client library" in r.getMessage()]) == 1


def test_a_session_s_read_and_write_in_an_outage_are_a_503(
    stand_in: tuple[str, type[_Answers]], firestore: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _a_session(firestore)
    repository = FirestoreSessionRepository(firestore)
    read = repository.read("session1")
    host, handler = stand_in
    handler.status = 503
    reader = _reader(host)
    monkeypatch.setitem(client_module._readers, firestore, reader)
    with pytest.raises(Unavailable):
        repository.read("session1")
    with pytest.raises(Unavailable):
        repository.update("session1", lambda s: replace(s, rotations=5), read=read)
    assert not reader.broken and len(handler.seen) >= 4
