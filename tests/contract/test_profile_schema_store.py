"""The ProfileSchemaStore port against the fake and Firestore (the emulator): nothing stored,
a document stored as it was sent (its keys' order, unicode and ``x-`` keywords), replaced."""

from __future__ import annotations

import json
from typing import Any

import pytest

from application.accounts.profile_schema import ProfileSchemaStore
from tests.fakes.accounts import FakeProfileSchemaStore

pytestmark = pytest.mark.contract


@pytest.fixture(params=["fake", "firestore"])
def store(request: pytest.FixtureRequest) -> ProfileSchemaStore:
    if request.param == "fake":
        return FakeProfileSchemaStore()
    from infrastructure.firestore.accounts.profile_schema import FirestoreProfileSchemaStore

    client: Any = request.getfixturevalue("firestore")
    return FirestoreProfileSchemaStore(client)


def test_a_stored_document_reads_back_as_sent(store: ProfileSchemaStore) -> None:
    assert store.get() is None
    first = {
        "type": "object",
        "properties": {
            "zone": {"type": "string", "title": "Zona horaria ☀", "x-read": ["user"]},
            "age": {"type": "integer", "minimum": 0, "x-scope": "profile"},
        },
    }
    store.put(first)
    got = store.get()
    assert got == first and json.dumps(got) == json.dumps(first)  # in the order sent
    store.put({"type": "object"})
    assert store.get() == {"type": "object"}
