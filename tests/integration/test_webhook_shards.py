"""The webhook outbox's deliveries spread over shards on Firestore, and the sweeper's one
query finds the due ones of every shard in the order of their next attempt
(docs/decisions/0359-webhook-sweeper-by-shard.md); one stored before shards existed is
neither swept nor listed until it is saved again (its next attempt, a resend), which gives it
its shard (docs/decisions/0356-queries-held-against-their-indexes.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.events.security_events import SecurityEvent
from domain.events.webhooks import Attempt, Delivery, RetryPolicy
from domain.ids import new_id
from domain.standard_webhooks import new_message_id
from infrastructure.firestore.events.security_events import FirestoreSecurityEvents
from infrastructure.firestore.events.webhooks import (
    DELIVERY_SHARDS,
    WEBHOOK_DELIVERIES,
    FirestoreWebhookDeliveries,
    delivery_shard,
    delivery_to_doc,
)

pytestmark = pytest.mark.integration
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def pending(seconds: int) -> Delivery:
    at = NOW + timedelta(seconds=seconds)
    return Delivery(
        id=new_message_id(),
        endpoint_id="e1",
        event_type="user.created",
        event_id=new_id(),
        payload="{}",
        created_at=at,
        next_attempt_at=at,
        retry_since=at,
    )


def test_pending_deliveries_spread_over_shards_and_are_swept_from_all(firestore: Any) -> None:
    deliveries = [pending(n) for n in range(64)]
    event = SecurityEvent(id=new_id(), at=NOW, type="user.created", user_id="u1")
    FirestoreSecurityEvents(firestore).add(event, deliveries)
    shards = {
        snap.id: snap.get("shard")
        for snap in firestore.collection(WEBHOOK_DELIVERIES).select(["shard"]).stream()
    }
    assert set(shards) == {d.id for d in deliveries}
    assert set(shards.values()) <= set(range(DELIVERY_SHARDS))
    assert len(set(shards.values())) >= DELIVERY_SHARDS // 2  # spread, not one shard
    outbox = FirestoreWebhookDeliveries(firestore)
    in_time = [d.id for d in deliveries]
    assert outbox.due(NOW + timedelta(minutes=5), 200) == in_time
    assert outbox.due(NOW + timedelta(seconds=9), 200) == in_time[:10]
    assert outbox.due(NOW + timedelta(minutes=5), 7) == in_time[:7]


def test_a_delivery_stored_without_a_shard_gains_it_when_saved(firestore: Any) -> None:
    delivery = pending(0)
    stored = delivery_to_doc(delivery)
    del stored["shard"]  # as written before deliveries had one
    firestore.collection(WEBHOOK_DELIVERIES).document(delivery.id).set(stored)
    deliveries = FirestoreWebhookDeliveries(firestore)
    assert deliveries.due(NOW, 10) == []
    assert deliveries.list_page("e1", None, 10) == []

    failed = delivery.after(Attempt(NOW, 500, None), RetryPolicy())
    deliveries.save(failed)

    assert deliveries.list_page("e1", None, 10) == [failed]
    assert deliveries.due(failed.next_attempt_at, 10) == [delivery.id]
    data = firestore.collection(WEBHOOK_DELIVERIES).document(delivery.id).get().to_dict()
    assert data["shard"] == delivery_shard(delivery.id)
