"""The private google-cloud-firestore names infrastructure/firestore/internals.py reads
(docs/decisions/0032-fast-batch-reads.md). These fail when the library changes them: then
drop the module for ``client.get_all`` or update it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from google.cloud import firestore as gcf

from infrastructure.firestore.client import DEADLINE_SECONDS, RETRY
from infrastructure.firestore.internals import read_documents_fast

pytestmark = pytest.mark.integration


def public_read(client: Any, refs: list[Any]) -> list[dict[str, Any] | None]:
    found = {snap.reference.path: snap for snap in client.get_all(refs)}
    return [found[ref.path].to_dict() if found[ref.path].exists else None for ref in refs]


def test_reads_what_the_public_api_reads(firestore: Any) -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    user = firestore.collection("users").document("u1")
    user.set(
        {
            "name": "Ünïcode",
            "n": 3,
            "none": None,
            "flag": True,
            "at": when,
            "nested": {"list": [1, "two", {"x": 1.5}], "bytes": b"\x00\x01"},
            "ref": firestore.collection("x").document("y"),
            "place": gcf.GeoPoint(1.0, 2.0),
        }
    )
    empty = firestore.collection("sessions").document("empty")
    empty.set({})
    missing = firestore.collection("sessions").document("missing")
    refs = [missing, user, empty, user]
    fast = read_documents_fast(firestore, refs, retry=RETRY, timeout=DEADLINE_SECONDS)
    assert fast == public_read(firestore, refs)
    assert fast[0] is None and fast[2] == {} and fast[1] is not None
    assert fast[1]["at"] == when and fast[1]["nested"]["bytes"] == b"\x00\x01"


def test_the_private_names_it_reads_exist(firestore: Any) -> None:
    ref = firestore.collection("users").document("u1")
    assert ref._document_path == f"{firestore._database_string}/documents/users/u1"
    assert isinstance(firestore._rpc_metadata, list)
    assert callable(firestore._firestore_api.batch_get_documents)
