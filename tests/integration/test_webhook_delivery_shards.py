"""Deliveries and their shards on the emulator (docs/decisions/0356-queries-held-against-their-
indexes.md): one stored before shards existed is neither swept nor listed until it is saved
again (its next attempt, a resend), which gives it its shard."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from domain.events.webhooks import Attempt, Delivery, RetryPolicy, new_message_id
from domain.ids import new_id
from infrastructure.firestore.events.webhooks import (
    WEBHOOK_DELIVERIES,
    FirestoreWebhookDeliveries,
    delivery_to_doc,
    shard_of,
)

pytestmark = pytest.mark.integration

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_a_delivery_stored_without_a_shard_gains_it_when_saved(firestore: Any) -> None:
    delivery = Delivery(
        id=new_message_id(),
        endpoint_id="e1",
        event_type="user.created",
        event_id=new_id(),
        payload="{}",
        created_at=NOW,
        next_attempt_at=NOW,
        retry_since=NOW,
    )
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
    assert data["shard"] == shard_of(delivery.id)
