"""The REST path (infrastructure/firestore/rest.py) where only a stand-in server can take it:
kept-alive connections closed by the other side, failures of every kind (each an outage, a
503, or a commit's own outcome, never a 500), production's credentials, and a REST path
unusable as deployed, which the process gives up for the client library's, once and saying
so. What it reads and writes on the emulator, case by case against the client library's
path, is tests/contract/test_firestore_reads.py (docs/decisions/0151-batch-reads-over-rest.md,
0455-firestore-on-public-apis.md)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from google.api_core.datetime_helpers import DatetimeWithNanoseconds
from google.auth.exceptions import RefreshError
from google.cloud import firestore as gcf

from application.events.security_events import StagedEvents
from domain.clients.oauth import digest
from domain.errors import Unavailable
from domain.events.security_events import SecurityEvent
from domain.provider.grants import AuthorizationCode
from infrastructure.firestore import client as client_module
from infrastructure.firestore.client import (
    BOUNDED,
    ReadsWithFallback,
    library_client,
    read_documents,
    read_versioned_documents,
    reads_of,
    run_query,
)
from infrastructure.firestore.events.security_events import FirestoreSecurityEvents, write_staged
from infrastructure.firestore.library_reads import LibraryReads
from infrastructure.firestore.orgs.membership_reads import OrgMembershipPart
from infrastructure.firestore.provider.oauth import FirestoreOAuthGrants
from infrastructure.firestore.reads import Exists, Missing, Select, Stale, Write
from infrastructure.firestore.rest import RestReads
from infrastructure.firestore.rest_values import decode
from infrastructure.firestore.signin.principals import FirestorePrincipals
from infrastructure.firestore.signin.sessions import FirestoreSessionRepository

pytestmark = pytest.mark.integration

BASE = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
SHORT = 0.3  # seconds: the retry budget of a REST path that meets an outage here


def _rest(host: str, **kwargs: Any) -> RestReads:
    options: dict[str, Any] = {"tls": False, "emulator": True} | kwargs
    return RestReads("p", str, timeout=2.0, budget=SHORT, host=host, **options)


def _use(
    firestore: Any, monkeypatch: pytest.MonkeyPatch, rest: RestReads, *, fell_back: bool = False
) -> ReadsWithFallback:
    """``firestore``'s reads: over ``rest``, and through the client library once it is
    unusable (or at once, ``fell_back``: as after a refused REST read)."""
    reads = ReadsWithFallback(rest, LibraryReads(lambda: library_client(firestore), BOUNDED))
    reads.fell_back = fell_back
    monkeypatch.setitem(client_module._reads, firestore, reads)
    return reads


def test_one_way_and_pool_per_client(firestore: Any) -> None:
    assert reads_of(firestore) is reads_of(firestore)


def test_a_timestamp_with_nanoseconds_keeps_them() -> None:
    exact = decode({"timestampValue": "2026-01-02T03:04:05.123456789Z"}, str)
    assert isinstance(exact, DatetimeWithNanoseconds) and exact.nanosecond == 123456789
    plain = decode({"timestampValue": "2026-01-02T03:04:05Z"}, str)
    assert plain == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


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
            FirestoreSessionRepository(firestore, write_staged=write_staged).list_for_user(
                "u1", 10
            ),
        )

    over_rest = lists()
    _use(firestore, monkeypatch, _rest("127.0.0.1:9"), fell_back=True)
    assert lists() == over_rest
    assert [e.id for e in over_rest[0] + over_rest[1]] == ["e3", "e2", "e1", "e0"]
    assert [s.id for s in over_rest[2]] == [f"session{n}" for n in range(4)]


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
        versioned = [read_versioned_documents(firestore, pair) for pair in paths]
        return (
            [read_documents(firestore, pair) for pair in paths],
            [[(found[0], found[1]) if found else None for found in pair] for pair in versioned],
            read_documents(firestore, ["oauth_revoked_tokens/j1", "oauth_revoked_tokens/j2"]),
        )

    over_rest = reads()
    _use(firestore, monkeypatch, _rest("127.0.0.1:9"), fell_back=True)
    assert reads() == over_rest
    grants, versioned, revoked = over_rest
    assert grants[0][0] == {"user_id": "u1", "scope": "openid"}
    assert grants[1][1] is None and versioned[1][1] is None
    assert revoked == [{"client_id": "a"}, None]


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


def _serve(answers: type[_Answers]) -> Iterator[tuple[str, type[_Answers]]]:
    handler = type("Handler", (answers,), {"seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def stand_in() -> Iterator[tuple[str, type[_Answers]]]:
    yield from _serve(_Answers)


@pytest.fixture
def odd_shape() -> Iterator[tuple[str, type[_Answers]]]:
    yield from _serve(_Shape)


def test_a_closed_kept_alive_connection_is_replaced(
    stand_in: tuple[str, type[_Answers]],
) -> None:
    host, handler = stand_in
    handler.close_after = True
    rest = _rest(host)
    for _ in range(3):
        assert rest.read(["a/b"]) == [None]
    assert len(handler.seen) == 3


def test_a_503_is_sent_again_within_the_budget_then_is_the_domain_s_503(
    stand_in: tuple[str, type[_Answers]],
) -> None:
    host, handler = stand_in
    handler.status = 503
    rest = _rest(host)
    with pytest.raises(Unavailable):
        rest.read(["a/b"])
    assert len(handler.seen) >= 2
    handler.status = 404
    with pytest.raises(Missing, match="try later"):
        rest.read(["a/b"])


@pytest.mark.parametrize(
    ("status", "code"),
    [(500, "X"), (502, "X"), (504, "X"), (429, "X"), (200, "X"), (409, "DEADLINE_EXCEEDED")],
)
def test_every_server_side_failure_is_an_outage_not_a_500(
    stand_in: tuple[str, type[_Answers]],
    firestore: Any,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    code: str,
) -> None:
    host, handler = stand_in
    handler.status, handler.code = status, code  # a deadline may come back as 504, or 409
    handler.garbage = status == 200
    reads = _use(firestore, monkeypatch, _rest(host))
    with pytest.raises(Unavailable):
        FirestorePrincipals(firestore, orgs=OrgMembershipPart()).load("u1", "s1")
    assert not reads.fell_back


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
    rest = _rest(host, emulator=False, credentials=credentials)  # TLS aside, production
    for _ in range(2):
        assert rest.read(["a/b"]) == [None]
    assert handler.seen == ["Bearer from-adc", "Bearer from-adc"]
    assert credentials.refreshed == 1


class _NoCredentials:
    valid = False

    def refresh(self, request: object) -> None:
        raise RefreshError("no token for you")  # type: ignore[no-untyped-call]

    def apply(self, headers: dict[str, str]) -> None:  # pragma: no cover - never valid
        raise AssertionError


def _unusable(
    case: str, stand_in: tuple[str, type[_Answers]], odd_shape: tuple[str, type[_Answers]]
) -> tuple[RestReads, type[_Answers]]:
    """A REST path that cannot work as deployed, and the stand-in it asks."""
    host, handler = stand_in
    if case == "shape":
        return _rest(odd_shape[0]), odd_shape[1]
    if case == "no_credentials":
        return _rest(host, emulator=False, credentials=_NoCredentials()), handler
    handler.status = {"forbidden": 403, "unauthenticated": 401}[case]
    return _rest(host), handler


@pytest.mark.parametrize("case", ["forbidden", "unauthenticated", "no_credentials", "shape"])
def test_an_unusable_rest_path_falls_back_to_the_client_library_and_says_so_once(
    stand_in: tuple[str, type[_Answers]],
    odd_shape: tuple[str, type[_Answers]],
    firestore: Any,
    monkeypatch: pytest.MonkeyPatch,
    *,
    caplog: pytest.LogCaptureFixture,
    case: str,
) -> None:
    ref = firestore.collection("users").document("u1")
    ref.set({"name": "Alice", "n": 3})
    rest, handler = _unusable(case, stand_in, odd_shape)
    _use(firestore, monkeypatch, rest)
    caplog.set_level(logging.WARNING, logger="firegate")
    for _ in range(3):
        assert read_documents(firestore, [ref, firestore.document("users/none")]) == [
            {"name": "Alice", "n": 3},
            None,
        ]
    assert len(handler.seen) <= 1, "once unusable, the REST path is not tried again"
    warnings = [r for r in caplog.records if "client library" in r.getMessage()]
    assert len(warnings) == 1


def test_a_query_falls_back_to_the_client_library_when_the_rest_path_is_unusable(
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
    _use(firestore, monkeypatch, _rest(host))
    caplog.set_level(logging.WARNING, logger="firegate")
    for _ in range(2):
        assert run_query(firestore, select) == [("k1", {"user_id": "u1", "name": "key"})]
        assert run_query(firestore, query.limit(5)) == [("k1", {"user_id": "u1", "name": "key"})]
    assert len(handler.seen) == 1, "once unusable, the REST path is not tried again"
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
    reads = _use(firestore, monkeypatch, _rest(host))
    with pytest.raises(Unavailable):
        FirestoreSessionRepository(firestore, write_staged=write_staged).list_for_user("u1", 10)
    assert not reads.fell_back
    assert handler.seen, "the query went over REST"


def test_an_outage_is_no_reason_to_fall_back(
    stand_in: tuple[str, type[_Answers]], firestore: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    host, handler = stand_in
    handler.status = 503
    _use(firestore, monkeypatch, _rest(host))
    for _ in range(2):
        with pytest.raises(Unavailable):
            FirestorePrincipals(firestore, orgs=OrgMembershipPart()).load("u1", "s1")
    assert len(handler.seen) >= 4, "still the REST path after an outage"


def test_readiness_fails_while_the_rest_path_is_unusable(
    stand_in: tuple[str, type[_Answers]], firestore: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bootstrap.platform import FirestoreProbe

    host, handler = stand_in
    probe = FirestoreProbe(firestore)
    assert probe.ready()
    handler.status = 403
    reads = _use(firestore, monkeypatch, _rest(host))
    assert not probe.ready(), "a deploy whose REST reads fail takes no traffic"
    reads.fell_back = True
    assert not probe.ready(), "not even once the process reads another way"


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (400, "FAILED_PRECONDITION", Stale),
        (404, "NOT_FOUND", Missing),
        (409, "ALREADY_EXISTS", Exists),
        (409, "ABORTED", Unavailable),  # sent again, then too many concurrent changes
    ],
)
def test_a_commit_s_outcome_is_told_by_the_api_s_status(
    stand_in: tuple[str, type[_Answers]], status: int, code: str, error: type[Exception]
) -> None:
    host, handler = stand_in
    handler.status, handler.code = status, code
    with pytest.raises(error):
        _rest(host).commit([Write("sessions/s1", {"rotations": 1}, unchanged_since=BASE)])
    assert len(handler.seen) == (5 if code == "ABORTED" else 1)


@pytest.mark.parametrize("rest", [True, False])
def test_a_code_is_spent_the_same_over_rest_and_through_the_library(
    firestore: Any, monkeypatch: pytest.MonkeyPatch, rest: bool
) -> None:
    if not rest:
        _use(firestore, monkeypatch, _rest("127.0.0.1:9"), fell_back=True)
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

    first = grants.spend_code(code.hash, issuing, StagedEvents(events=(event,)), read=code)
    again = grants.spend_code(code.hash, issuing, read=code)  # a stale read: read again

    assert first is not None and first.outcome == "spent"
    assert again is not None and again.outcome == "reused"
    grant = grants.get("g1")
    assert grant is not None and grant.issued and grant.revoked  # the reuse revoked it
    assert firestore.collection("security_events").document("e1").get().exists


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
    firestore: Any, monkeypatch: pytest.MonkeyPatch, rest: bool
) -> None:
    _a_session(firestore)
    if not rest:
        _use(firestore, monkeypatch, _rest("127.0.0.1:9"), fell_back=True)
    repository = FirestoreSessionRepository(firestore, write_staged=write_staged)
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
    assert repository.set_org("session1", "o1", BASE)
    assert not repository.set_org("missing1", "o1", BASE)


def test_a_session_s_read_and_write_in_an_outage_are_a_503(
    stand_in: tuple[str, type[_Answers]], firestore: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _a_session(firestore)
    repository = FirestoreSessionRepository(firestore, write_staged=write_staged)
    read = repository.read("session1")
    host, handler = stand_in
    handler.status = 503
    reads = _use(firestore, monkeypatch, _rest(host))
    with pytest.raises(Unavailable):
        repository.read("session1")
    with pytest.raises(Unavailable):
        repository.update("session1", lambda s: replace(s, rotations=5), read=read)
    assert not reads.fell_back and len(handler.seen) >= 4
