"""Webhook endpoints in ``webhook_endpoints/{id}``; their deliveries, the outbox, in
``webhook_deliveries/{webhook-id}`` (docs/decisions/0175-webhooks-outbox.md).

A delivery is created in the commit of its security event (security_events.py); ``claim``
takes a due one with a precondition on its update time, so of two workers only one sends.
``expires_at`` is the field of the deliveries' TTL policy (docs/operations.md).

Each delivery carries a ``shard``, 0 to ``DELIVERY_SHARDS`` - 1, from its id, and both
queries of the deliveries ask for every shard at once (``in``): the sweeper's index
(``shard``, ``status``, ``next_attempt_at``) and the admins' (``shard``, ``endpoint_id``,
``created_at``) then grow at as many places, not at the one end where every new delivery
would land, which one index range takes at about 500 writes a second
(docs/decisions/0359-webhook-sweeper-by-shard.md,
docs/decisions/0356-queries-held-against-their-indexes.md).
"""

from __future__ import annotations

import zlib
from datetime import datetime
from typing import Any

from domain.events.security_events import KEPT_FOR
from domain.events.webhooks import Attempt, Delivery, DeliveryStatus, WebhookEndpoint
from infrastructure.firestore.client import BOUNDED, read_document
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.optimistic import unchanged_since
from infrastructure.firestore.sdk import exceptions, firestore

WEBHOOK_ENDPOINTS = "webhook_endpoints"
WEBHOOK_DELIVERIES = "webhook_deliveries"
DELIVERY_SHARDS = 16  # at most 30: the queries ask for them all in one ``in`` filter
EVERY_SHARD = list(range(DELIVERY_SHARDS))


def delivery_shard(delivery_id: str) -> int:
    return zlib.crc32(delivery_id.encode()) % DELIVERY_SHARDS


def endpoint_to_doc(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "url": endpoint.url,
        "events": list(endpoint.events),
        "description": endpoint.description,
        "secret": endpoint.sealed_secret,
        "created_at": endpoint.created_at,
        "enabled": endpoint.enabled,
        "failing_since": endpoint.failing_since,
    }


def endpoint_from_doc(endpoint_id: str, data: dict[str, Any]) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=endpoint_id,
        url=data["url"],
        events=tuple(data.get("events", ())),
        description=data.get("description", ""),
        sealed_secret=data["secret"],
        created_at=data["created_at"],
        enabled=data.get("enabled", True),
        failing_since=data.get("failing_since"),
    )


def _attempts_to_doc(attempts: tuple[Attempt, ...]) -> list[dict[str, Any]]:
    return [{"at": a.at, "status_code": a.status_code, "error": a.error} for a in attempts]


def delivery_state(delivery: Delivery) -> dict[str, Any]:
    """The fields that change after a delivery is created; and its shard, which never does,
    so that one stored before shards existed gains it at its next attempt or resend."""
    return {
        "shard": delivery_shard(delivery.id),
        "status": delivery.status.value,
        "attempts": _attempts_to_doc(delivery.attempts),
        "next_attempt_at": delivery.next_attempt_at,
        "retry_since": delivery.retry_since,
    }


def delivery_to_doc(delivery: Delivery) -> dict[str, Any]:
    return {
        "endpoint_id": delivery.endpoint_id,
        "event_type": delivery.event_type,
        "event_id": delivery.event_id,
        "payload": delivery.payload,
        "created_at": delivery.created_at,
        "expires_at": delivery.created_at + KEPT_FOR,
        **delivery_state(delivery),
    }


def delivery_from_doc(delivery_id: str, data: dict[str, Any]) -> Delivery:
    return Delivery(
        id=delivery_id,
        endpoint_id=data["endpoint_id"],
        event_type=data["event_type"],
        event_id=data["event_id"],
        payload=data["payload"],
        created_at=data["created_at"],
        next_attempt_at=data["next_attempt_at"],
        retry_since=data.get("retry_since", data["created_at"]),
        status=DeliveryStatus(data.get("status", "pending")),
        attempts=tuple(
            Attempt(at=a["at"], status_code=a.get("status_code"), error=a.get("error"))
            for a in data.get("attempts", ())
        ),
    )


@translates_errors
class FirestoreWebhookEndpoints:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._endpoints = client.collection(WEBHOOK_ENDPOINTS)

    def add(self, endpoint: WebhookEndpoint) -> None:
        self._endpoints.document(endpoint.id).create(endpoint_to_doc(endpoint), **BOUNDED)

    def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        data = read_document(self._client, self._endpoints.document(endpoint_id))
        return endpoint_from_doc(endpoint_id, data) if data is not None else None

    def list_all(self) -> list[WebhookEndpoint]:
        snaps = self._endpoints.order_by("created_at").stream(**BOUNDED)
        return [endpoint_from_doc(snap.id, snap.to_dict() or {}) for snap in snaps]

    def delete(self, endpoint_id: str) -> bool:
        ref = self._endpoints.document(endpoint_id)
        try:
            ref.delete(option=self._client.write_option(exists=True), **BOUNDED)
        except exceptions.NotFound:
            return False
        return True

    def set_health(self, endpoint_id: str, enabled: bool, failing_since: datetime | None) -> None:
        ref = self._endpoints.document(endpoint_id)
        try:
            ref.update({"enabled": enabled, "failing_since": failing_since}, **BOUNDED)
        except exceptions.NotFound:
            return  # deleted meanwhile


@translates_errors
class FirestoreWebhookDeliveries:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._deliveries = client.collection(WEBHOOK_DELIVERIES)

    def get(self, delivery_id: str) -> Delivery | None:
        data = read_document(self._client, self._deliveries.document(delivery_id))
        return delivery_from_doc(delivery_id, data) if data is not None else None

    def claim(self, delivery_id: str, now: datetime, until: datetime) -> Delivery | None:
        ref = self._deliveries.document(delivery_id)
        snap = ref.get(**BOUNDED)
        if not snap.exists:
            return None
        delivery = delivery_from_doc(delivery_id, snap.to_dict() or {})
        if not delivery.due(now):
            return None
        # A compare-and-set on the update time, without a transaction's locks: of workers
        # claiming at once exactly one write lands.
        try:
            ref.update(
                {"next_attempt_at": until},
                option=unchanged_since(snap),
                **BOUNDED,
            )
        except exceptions.FailedPrecondition:
            return None
        return delivery

    def save(self, delivery: Delivery) -> None:
        ref = self._deliveries.document(delivery.id)
        try:
            ref.update(delivery_state(delivery), **BOUNDED)
        except exceptions.NotFound:
            return  # expired meanwhile

    def list_page(
        self, endpoint_id: str, before: tuple[datetime, str] | None, limit: int
    ) -> list[Delivery]:
        # Composite index (firestore.indexes.json): shard + endpoint_id + created_at desc.
        descending = firestore.Query.DESCENDING
        query = (
            self._deliveries.where(filter=firestore.FieldFilter("shard", "in", EVERY_SHARD))
            .where(filter=firestore.FieldFilter("endpoint_id", "==", endpoint_id))
            .order_by("created_at", direction=descending)
            .order_by("__name__", direction=descending)
        )
        if before is not None:
            at, delivery_id = before
            query = query.start_after(
                {"created_at": at, "__name__": self._deliveries.document(delivery_id)}
            )
        snaps = query.limit(limit).stream(**BOUNDED)
        return [delivery_from_doc(snap.id, snap.to_dict() or {}) for snap in snaps]

    def due(self, now: datetime, limit: int) -> list[str]:
        # Composite index: shard + status + next_attempt_at, every shard in one query (its
        # disjunction merged by next attempt); only the ids are read.
        query = (
            self._deliveries.where(filter=firestore.FieldFilter("shard", "in", EVERY_SHARD))
            .where(filter=firestore.FieldFilter("status", "==", "pending"))
            .where(filter=firestore.FieldFilter("next_attempt_at", "<=", now))
            .order_by("next_attempt_at")
            .select([])
            .limit(limit)
        )
        return [snap.id for snap in query.stream(**BOUNDED)]
