"""Security events in ``security_events/{id}``, queried per account, newest first.

``expires_at`` (90 days after the event) is the field of the collection's TTL policy
(docs/operations.md): Firestore deletes the document some time after it passes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from application.events.security_events import StagedEvents, staged_events
from application.ports import StagedWrites
from domain.events.outbox import OutboxEntry
from domain.events.security_events import SecurityEvent
from domain.events.webhooks import Delivery
from infrastructure.firestore.client import BOUNDED, run_query
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.events.outbox import EVENT_OUTBOX, entry_to_doc
from infrastructure.firestore.events.webhooks import WEBHOOK_DELIVERIES, delivery_to_doc
from infrastructure.firestore.reads import Select
from infrastructure.firestore.sdk import exceptions, firestore

SECURITY_EVENTS = "security_events"


def event_to_doc(event: SecurityEvent) -> dict[str, Any]:
    return {
        "at": event.at,
        "type": event.type,
        "outcome": event.outcome,
        "user_id": event.user_id,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "device_id": event.device_id,
        "session_id": event.session_id,
        "actor_id": event.actor_id,
        "reason": event.reason,
        "org_id": event.org_id,
        "method": event.method,
        "via": event.via,
        # Support access's (docs/reference/events.md): absent from every other event
        **({"subject_id": event.subject_id} if event.subject_id is not None else {}),
        **({"minutes": event.minutes} if event.minutes is not None else {}),
        "expires_at": event.expires_at,
    }


def event_from_doc(event_id: str, data: dict[str, Any]) -> SecurityEvent:
    return SecurityEvent(
        id=event_id,
        at=data["at"],
        type=data["type"],
        user_id=data["user_id"],
        outcome=data.get("outcome", "success"),
        ip=data.get("ip"),
        user_agent=data.get("user_agent"),
        device_id=data.get("device_id"),
        session_id=data.get("session_id"),
        actor_id=data.get("actor_id"),
        reason=data.get("reason"),
        org_id=data.get("org_id"),
        method=data.get("method"),
        via=data.get("via"),
        subject_id=data.get("subject_id"),
        minutes=data.get("minutes"),
    )


def staged_documents(staged: StagedWrites) -> Iterator[tuple[str, dict[str, Any]]]:
    """The path and fields of each document ``staged`` creates: its events, the webhook
    outbox's deliveries of them and the units' outbox entries, for the commit of the change
    they record."""
    events = staged_events(staged)
    for event in events.events:
        yield f"{SECURITY_EVENTS}/{event.id}", event_to_doc(event)
    for delivery in events.deliveries:
        yield f"{WEBHOOK_DELIVERIES}/{delivery.id}", delivery_to_doc(delivery)
    for entry in events.entries:
        yield f"{EVENT_OUTBOX}/{entry.id}", entry_to_doc(entry)


def write_staged(
    client: firestore.Client,
    batch: firestore.WriteBatch | firestore.Transaction,
    staged: StagedWrites,
) -> None:
    """Add what ``staged`` stores to ``batch``, the commit of the change it records."""
    for path, fields in staged_documents(staged):
        batch.create(client.document(path), fields)


@translates_errors
class FirestoreSecurityEvents:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._events = client.collection(SECURITY_EVENTS)
        self._deliveries = client.collection(WEBHOOK_DELIVERIES)

    def add(
        self,
        event: SecurityEvent,
        deliveries: Sequence[Delivery] = (),
        entries: Sequence[OutboxEntry] = (),
    ) -> None:
        # The outboxes in the event's own commit: all or none
        # (docs/decisions/0175-webhooks-outbox.md).
        self._commit(
            StagedEvents(events=(event,), deliveries=tuple(deliveries), entries=tuple(entries))
        )

    def add_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        self._commit(StagedEvents(deliveries=tuple(deliveries)))

    def _commit(self, staged: StagedWrites) -> None:
        batch = self._client.batch()
        write_staged(self._client, batch, staged)
        # Fresh random ids: AlreadyExists only means a retried commit had succeeded.
        with contextlib.suppress(exceptions.AlreadyExists):
            batch.commit(**BOUNDED)

    def list_page(
        self, user_id: str, type: str | None, before: tuple[datetime, str] | None, limit: int
    ) -> list[SecurityEvent]:
        # Composite indexes (firestore.indexes.json): user_id [+ type] + at desc + __name__ desc.
        where: tuple[tuple[str, str], ...] = (("user_id", user_id),)
        if type is not None:
            where += (("type", type),)
        return self._newest(where, before, limit)

    def list_org_page(
        self, org_id: str, before: tuple[datetime, str] | None, limit: int
    ) -> list[SecurityEvent]:
        # Composite index (firestore.indexes.json): org_id + at desc + __name__ desc.
        return self._newest((("org_id", org_id),), before, limit)

    def _newest(
        self,
        where: tuple[tuple[str, str], ...],
        before: tuple[datetime, str] | None,
        limit: int,
    ) -> list[SecurityEvent]:
        query = Select(
            SECURITY_EVENTS,
            where,
            order_by=(("at", True), ("__name__", True)),
            start_after=before or (),
            limit=limit,
        )
        found = run_query(self._client, query)
        return [event_from_doc(event_id, data) for event_id, data in found]
