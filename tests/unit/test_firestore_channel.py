"""After an outage met through the client library, the next use makes a new library client,
whose gRPC channel connects at its first call (docs/decisions/0455-firestore-on-public-apis.md):
gRPC's own wait between attempts to connect a failed channel grows to 120 s, and a worker
whose channel failed through a long outage answered 503 for that long after Firestore was
back. bench/firestore_reconnect.py measures the recovery on the emulator."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
from google.api_core.exceptions import ServiceUnavailable

from domain.errors import Unavailable
from infrastructure.firestore import client as client_module
from infrastructure.firestore.client import library_client, make_client
from infrastructure.firestore.errors import library_outage, translates_errors
from infrastructure.firestore.library_reads import LibraryReads

pytestmark = pytest.mark.unit
NOWHERE = "127.0.0.1:1"  # nothing listens: every call is an outage at once


@dataclass(frozen=True)
class Collection:
    client: Any
    path: tuple[str, ...]

    def document(self, document_id: str) -> tuple[Any, str]:
        return self.client, document_id


class LibraryClient:
    """Stands in for the library's client: which one a collection belongs to."""

    made: ClassVar[list[LibraryClient]] = []

    def __init__(self, project: str, credentials: Any) -> None:
        type(self).made.append(self)

    def collection(self, *path: str) -> Collection:
        return Collection(self, path)


@pytest.fixture
def nowhere(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", NOWHERE)
    return monkeypatch


def test_an_outage_makes_a_new_client_for_the_next_use_and_collections_follow_it(
    nowhere: pytest.MonkeyPatch,
) -> None:
    nowhere.setattr(client_module, "firestore", SimpleNamespace(Client=LibraryClient))
    client = make_client("demo-channel")
    users = client.collection("users")  # kept by an adapter from its start
    first = library_client(client)
    assert users.document("u1") == (first, "u1")

    library_outage(ServiceUnavailable("down"))  # type: ignore[no-untyped-call]
    assert library_client(client) is first, "not again within RENEW_AFTER of the last"

    nowhere.setattr(client_module, "RENEW_AFTER", 0.0)
    assert isinstance(library_outage(ServiceUnavailable("down")), Unavailable)  # type: ignore[no-untyped-call]
    second = library_client(client)
    assert second is not first
    assert users.document("u1") == (second, "u1")
    assert library_client(client) is second, "one new client an outage, not one a use"


def test_an_adapter_s_outage_through_the_library_renews_the_client(
    nowhere: pytest.MonkeyPatch,
) -> None:
    nowhere.setattr(client_module, "RENEW_AFTER", 0.0)

    @translates_errors
    class Reader:
        def __init__(self, client: Any) -> None:
            self._ping = client.collection("_health")

        def ping(self) -> object:
            return self._ping.document("ping").get(retry=None, timeout=2.0)

    client = make_client("demo-channel")
    first = library_client(client)
    with pytest.raises(Unavailable):
        Reader(client).ping()
    assert library_client(client) is not first


def test_the_port_s_outage_through_the_library_renews_the_client(
    nowhere: pytest.MonkeyPatch,
) -> None:
    nowhere.setattr(client_module, "RENEW_AFTER", 0.0)
    client = make_client("demo-channel")
    first = weakref.ref(library_client(client))
    reads = LibraryReads(lambda: library_client(client), {"retry": None, "timeout": 2.0})
    with pytest.raises(Unavailable):
        reads.read(["users/u1"])
    assert library_client(client) is not first()
    # The client given up is freed, and its channel with it: a new channel of the same
    # target shares the old one's connection, and its wait, while the old one is open.
    assert first() is None
