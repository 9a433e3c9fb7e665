"""The units' outbox entries in ``event_outbox/{id}``, created in the commit of the change
whose event they carry (security_events.py's ``staged_documents``) and read back by their
unit, a destination's oldest first: composite index ``key`` + ``at`` + ``__name__``
(firestore.indexes.json). ``expires_at``, where an entry has one, is the field of the
collection's TTL policy (docs/operations.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.events.outbox import OutboxEntry
from infrastructure.firestore.client import BOUNDED, run_query
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.reads import Select
from infrastructure.firestore.sdk import firestore

EVENT_OUTBOX = "event_outbox"
BATCH = 400  # deletes per commit, under Firestore's 500 writes


def entry_to_doc(entry: OutboxEntry) -> dict[str, Any]:
    return {
        "kind": entry.kind,
        "key": entry.key,
        "at": entry.at,
        "body": entry.body,
        **({"expires_at": entry.expires_at} if entry.expires_at is not None else {}),
    }


def entry_from_doc(entry_id: str, data: dict[str, Any]) -> OutboxEntry:
    return OutboxEntry(
        id=entry_id,
        kind=data["kind"],
        key=data["key"],
        at=data["at"],
        body=data["body"],
        expires_at=data.get("expires_at"),
    )


@translates_errors
class FirestoreOutboxEntries:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._entries = client.collection(EVENT_OUTBOX)

    def oldest(self, key: str, limit: int) -> list[OutboxEntry]:
        query = Select(
            EVENT_OUTBOX,
            (("key", key),),
            order_by=(("at", False), ("__name__", False)),
            limit=limit,
        )
        return [entry_from_doc(entry_id, data) for entry_id, data in run_query(self._client, query)]

    def remove(self, entry_ids: Sequence[str]) -> None:
        for start in range(0, len(entry_ids), BATCH):
            batch = self._client.batch()
            for entry_id in entry_ids[start : start + BATCH]:
                batch.delete(self._entries.document(entry_id))
            batch.commit(**BOUNDED)

    def remove_key(self, key: str) -> int:
        removed = 0
        while True:
            found = self.oldest(key, BATCH)
            if not found:
                return removed
            self.remove([entry.id for entry in found])
            removed += len(found)
