"""The FirestoreReads port (infrastructure/firestore/reads.py) against both of its adapters on
the emulator: ``RestReads`` (Firestore's REST API on urllib3) and ``LibraryReads`` (the client
library's public API). The same cases, the same answers: missing documents and existing ones
(every value type firegate could store), many at once, a document deleted meanwhile, a
versioned write, commits all or none, the plain queries the adapters ask, and an outage as
the domain's 503, never a 500 (docs/decisions/0455-firestore-on-public-apis.md)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from google.api_core.datetime_helpers import DatetimeWithNanoseconds
from google.api_core.retry import Retry
from google.cloud import firestore as gcf

from domain.errors import Unavailable
from infrastructure.firestore import client as client_module
from infrastructure.firestore.client import BOUNDED, ReadsWithFallback, library_client
from infrastructure.firestore.library_reads import LibraryReads, library_query
from infrastructure.firestore.reads import (
    Exists,
    FirestoreReads,
    Missing,
    Select,
    Stale,
    Write,
)
from infrastructure.firestore.rest import RestReads
from tests.support.api import bearer, login, register

pytestmark = pytest.mark.contract

PROJECT = "demo-firegate"
BASE = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
UNREACHABLE = "127.0.0.1:9"  # the discard port: nothing listens
SHORT = 0.3  # seconds: the retry budget of the adapters that meet an outage here


def rest_reads(client: Any) -> RestReads:
    return RestReads.for_project(PROJECT, client.document, timeout=8.0, budget=8.0)


def down_rest_reads() -> RestReads:
    """Over REST to a host where nothing listens, with a short retry budget."""
    return RestReads(
        PROJECT, str, timeout=2.0, budget=SHORT, host=UNREACHABLE, tls=False, emulator=True
    )


def down_library_reads(monkeypatch: pytest.MonkeyPatch) -> LibraryReads:
    """Through the client library to a host where nothing listens, with a short retry."""
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", UNREACHABLE)
    client = gcf.Client(project=PROJECT)
    short = {"retry": Retry(initial=0.01, maximum=0.05, timeout=SHORT), "timeout": 2.0}
    return LibraryReads(lambda: client, short)


def library_reads(client: Any) -> LibraryReads:
    return LibraryReads(lambda: library_client(client), BOUNDED)


MAKERS: dict[str, Callable[[Any], FirestoreReads]] = {"rest": rest_reads, "library": library_reads}


@pytest.fixture(params=sorted(MAKERS))
def reads(request: pytest.FixtureRequest) -> FirestoreReads:
    return MAKERS[request.param](request.getfixturevalue("firestore"))


def as_the_library_reads(client: Any, paths: list[str]) -> list[dict[str, Any] | None]:
    refs = [client.document(path) for path in paths]
    found = {snap.reference.path: snap for snap in client.get_all(refs)}
    return [found[path].to_dict() if found[path].exists else None for path in paths]


EVERY_TYPE = {
    "name": "Ünïcode ✓",
    "n": 3,
    "big": 2**62,
    "negative": -7,
    "none": None,
    "flag": True,
    "off": False,
    "at": BASE,
    "whole_second": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    "ratio": 1.5,
    "whole_float": 2.0,
    "inf": math.inf,
    "ninf": -math.inf,
    "nested": {"list": [1, "two", {"x": 1.5, "y": []}, {}], "bytes": b"\x00\x01\xff"},
    "empty_map": {},
    "empty_list": [],
    "dotted.key": "v",
}


def test_missing_and_existing_documents_read_in_the_order_asked(
    reads: FirestoreReads, firestore: Any
) -> None:
    nanos = DatetimeWithNanoseconds.from_rfc3339("2026-01-02T03:04:05.123456789Z")  # type: ignore[no-untyped-call]
    stored = {
        **EVERY_TYPE,
        "nan": math.nan,
        "nanos": nanos,
        "ref": firestore.document("x/y"),
        "place": gcf.GeoPoint(1.0, -2.5),
    }
    firestore.document("users/ü 1").set(stored)
    firestore.document("sessions/empty").set({})
    asked = ["sessions/missing", "users/ü 1", "sessions/empty", "users/ü 1", "users/__x__", "a/."]

    found = reads.read(asked)

    assert found[0] is None and found[2] == {} and found[4:] == [None, None]
    fields, again = found[1], found[3]
    assert fields is not None and again is not None
    expected = as_the_library_reads(firestore, ["users/ü 1"])[0]
    assert expected is not None
    for each in (fields, again, expected):  # NaN is no NaN's equal
        assert math.isnan(each.pop("nan"))
    assert fields == expected and again == expected  # asked twice: the same fields twice
    assert fields["at"] == BASE and fields["nested"]["bytes"] == b"\x00\x01\xff"
    assert fields["nanos"] == nanos.replace(microsecond=123456)  # Firestore keeps microseconds
    assert isinstance(fields["ref"], gcf.DocumentReference) and fields["ref"].path == "x/y"
    assert isinstance(fields["n"], int) and isinstance(fields["whole_float"], float)


def test_many_documents_at_once(reads: FirestoreReads, firestore: Any) -> None:
    batch = firestore.batch()
    for n in range(0, 60, 2):
        batch.set(firestore.document(f"users/u{n:02d}"), {"n": n, "at": BASE})
    batch.commit()
    asked = [f"users/u{n:02d}" for n in reversed(range(60))]

    found = reads.read(asked)

    assert found == as_the_library_reads(firestore, asked)
    assert [f["n"] if f else None for f in found] == [
        n if n % 2 == 0 else None for n in reversed(range(60))
    ]
    versioned = reads.read_versioned(asked)
    assert [v.fields if v else None for v in versioned] == found


def test_a_versioned_read_has_the_library_snapshot_s_update_time(
    reads: FirestoreReads, firestore: Any
) -> None:
    ref = firestore.document("sessions/s1")
    ref.set({"user_id": "u1", "refresh_hashes": ["h"], "at": BASE})

    found, missing = reads.read_versioned(["sessions/s1", "sessions/none"])
    snap = ref.get()

    assert found is not None and missing is None
    assert found.fields == snap.to_dict()
    assert found.update_time == snap.update_time
    assert found.update_time.nanosecond == snap.update_time.nanosecond  # type: ignore[attr-defined]


def test_a_versioned_write_holds_only_while_the_document_is_that_version(
    reads: FirestoreReads, firestore: Any
) -> None:
    ref = firestore.document("sessions/s1")
    ref.set({"user_id": "u1", "refresh_hashes": ["h"], "rotations": 1, "kept": {"x": 1}})
    (first,) = reads.read_versioned(["sessions/s1"])
    assert first is not None
    changed = {
        "refresh_hashes": ["h2"],
        "rotations": 2,
        "rotated_at": BASE,
        "spent_untagged": None,
        "flag": True,
        "nested": {"list": [1, "two", BASE], "empty": []},
        "a name`with.dots": "quoted",  # one field: a Write's names are no field paths
        "ünï code": 1,
    }

    reads.commit([Write("sessions/s1", changed, unchanged_since=first.update_time)])

    assert ref.get().to_dict() == {"user_id": "u1", "kept": {"x": 1}, **changed}
    with pytest.raises(Stale):  # no longer the version read
        reads.commit([Write("sessions/s1", {"rotations": 9}, unchanged_since=first.update_time)])
    assert ref.get().to_dict()["rotations"] == 2
    (second,) = reads.read_versioned(["sessions/s1"])
    assert second is not None and second.update_time > first.update_time


def test_a_document_deleted_meanwhile(reads: FirestoreReads, firestore: Any) -> None:
    ref = firestore.document("oauth_codes/k1")
    ref.set({"spent": False})
    (read,) = reads.read_versioned(["oauth_codes/k1"])
    assert read is not None and reads.read(["oauth_codes/k1"]) == [{"spent": False}]
    ref.delete()

    assert reads.read(["oauth_codes/k1"]) == [None]
    assert reads.read_versioned(["oauth_codes/k1"]) == [None]
    with pytest.raises(Stale):  # written under the version read: it went
        reads.commit([Write("oauth_codes/k1", {"spent": True}, unchanged_since=read.update_time)])
    with pytest.raises(Missing):  # an update never creates
        reads.commit([Write("oauth_codes/k1", {"spent": True})])
    assert not ref.get().exists
    assert reads.query(Select("oauth_codes", (("spent", False),))) == []


def test_a_commit_writes_all_or_none(reads: FirestoreReads, firestore: Any) -> None:
    codes = firestore.collection("oauth_codes")
    codes.document("k1").set({"spent": False, "scope": "openid"})
    created = {**EVERY_TYPE, "huge": math.inf}

    reads.commit(
        [Write("oauth_codes/k1", {"spent": True}), Write("grants/g1", created, create=True)]
    )

    assert codes.document("k1").get().to_dict() == {"spent": True, "scope": "openid"}
    assert firestore.document("grants/g1").get().to_dict() == created
    with pytest.raises(Exists):  # the grant exists: nothing is written
        reads.commit(
            [Write("oauth_codes/k1", {"spent": False}), Write("grants/g1", {"x": 1}, create=True)]
        )
    with pytest.raises(Missing):
        reads.commit(
            [Write("grants/g2", {"x": 1}, create=True), Write("oauth_codes/none", {"spent": True})]
        )
    assert codes.document("k1").get().to_dict() == {"spent": True, "scope": "openid"}
    assert not firestore.document("grants/g2").get().exists


def some_events(firestore: Any) -> None:
    """Five events (four of u1, with ties on ``at``) and a note under a user's document."""
    events = firestore.collection("security_events")
    for n, event_id in enumerate(["b", "a", "ü", "c", "d"]):
        events.document(event_id).set(
            {
                "user_id": "u1" if event_id != "d" else "u2",
                "type": "login" if n % 2 else "logout",
                "at": BASE.replace(second=n % 3),  # ties, broken by the document name
                "n": n,
                "nested": {"list": [n, "x", None], "ref": events.document("a")},
            }
        )
    firestore.document("users/u1/notes/n1").set({"text": "under a document"})


def test_selects_find_what_the_library_streams(reads: FirestoreReads, firestore: Any) -> None:
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
        streamed = library_query(library_client(firestore), select).stream()
        assert reads.query(select) == [(s.id, s.to_dict()) for s in streamed], name
    assert [i for i, _ in reads.query(newest)] == ["ü", "a", "c", "b"]
    after = reads.query(selects["after a cursor"])
    assert [i for i, _ in after] == ["a", "c", "b"]  # "a" ties on ``at``, sorts before "b"
    found = dict(reads.query(of_u1))
    assert isinstance(found["a"]["nested"]["ref"], gcf.DocumentReference)


# -- an outage ---------------------------------------------------------------------------


@pytest.fixture(params=sorted(MAKERS))
def unreachable(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> FirestoreReads:
    """Either adapter with Firestore out of reach, and a short retry budget."""
    return down_rest_reads() if request.param == "rest" else down_library_reads(monkeypatch)


def test_an_outage_is_the_domain_s_503(unreachable: FirestoreReads) -> None:
    calls: dict[str, Callable[[], object]] = {
        "read": lambda: unreachable.read(["users/u1", "sessions/s1"]),
        "versioned": lambda: unreachable.read_versioned(["sessions/s1"]),
        "query": lambda: unreachable.query(Select("sessions", (("user_id", "u1"),), limit=5)),
        "commit": lambda: unreachable.commit([Write("sessions/s1", {"n": 1})]),
    }
    for name, call in calls.items():
        with pytest.raises(Unavailable) as raised:
            call()
        assert raised.value.retry_after > 0, name
    with pytest.raises(Exception):  # noqa: B017, PT011 - any failure: "not ready"
        unreachable.probe()


@pytest.mark.parametrize("way", sorted(MAKERS))
def test_an_authenticated_request_in_an_outage_is_a_503_problem_not_a_500(
    real_app: Flask, firestore: Any, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    client = real_app.test_client()
    register(client, "alice")
    token = login(client, "alice")
    assert client.get("/user", headers=bearer(token)).status_code == 200
    down = ReadsWithFallback(down_rest_reads(), down_library_reads(monkeypatch))
    down.fell_back = way == "library"  # as after a refused REST read
    monkeypatch.setitem(client_module._reads, firestore, down)

    answer = client.get("/user", headers=bearer(token))

    assert answer.status_code == 503
    assert answer.mimetype == "application/problem+json"
    assert answer.get_json()["code"] == "service_unavailable"
    assert answer.headers["Retry-After"]
