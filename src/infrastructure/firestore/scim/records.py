"""What an org's SCIM users and groups share in Firestore: their documents
``{collection}/{org_id}:{id}`` listed in id order, counted, and looked up by their keys in one
query (docs/decisions/0403-scim-filters-by-keys.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from infrastructure.firestore.client import BOUNDED, run_query
from infrastructure.firestore.sdk import firestore

Rows = list[dict[str, Any]]


def record_ref(
    client: firestore.Client, collection: str, org_id: str, record_id: str
) -> firestore.DocumentReference:
    return client.collection(collection).document(f"{org_id}:{record_id}")


def of_org(client: firestore.Client, collection: str, org_id: str) -> firestore.Query:
    return client.collection(collection).where(filter=firestore.FieldFilter("org_id", "==", org_id))


def page_of(
    client: firestore.Client, collection: str, org_id: str, offset: int, limit: int
) -> Rows:
    """Up to ``limit`` of the org's records in id order, after the first ``offset``."""
    if limit <= 0:
        return []
    query = (
        client.collection(collection)
        .where(filter=firestore.FieldFilter("org_id", "==", org_id))
        .order_by("__name__")
        .offset(offset)
        .limit(limit)
    )
    return [data for _, data in run_query(client, query)]


def count_of(client: firestore.Client, collection: str, org_id: str) -> int:
    # One aggregation row of one result (typed by the library as the result itself)
    rows: Any = of_org(client, collection, org_id).count(alias="n").get(**BOUNDED)
    return int(rows[0][0].value)


def matching_of(
    client: firestore.Client, collection: str, org_id: str, keys: Sequence[str], limit: int
) -> Rows:
    """Up to ``limit`` of the org's records holding any of ``keys``, in id order: served by
    the single-field indexes of org_id and keys (firestore.indexes.json)."""
    query = (
        client.collection(collection)
        .where(filter=firestore.FieldFilter("org_id", "==", org_id))
        .where(filter=firestore.FieldFilter("keys", "array_contains_any", list(keys)))
        .order_by("__name__")
        .limit(limit)
    )
    return [data for _, data in run_query(client, query)]


def delete_of_org(
    client: firestore.Client,
    collection: str,
    org_id: str,
    batch_size: int,
    refs: Any,
) -> None:
    """Delete the org's records, ``batch_size`` a commit, each with the documents ``refs``
    names of it (its claims)."""
    query = (
        client.collection(collection)
        .where(filter=firestore.FieldFilter("org_id", "==", org_id))
        .limit(batch_size)
    )
    while rows := run_query(client, query):
        batch = client.batch()
        for _, data in rows:
            for ref in refs(data):
                batch.delete(ref)
        batch.commit(**BOUNDED)
