"""One suite for the webhook ports (endpoints, the deliveries' outbox, and the outbox written
in the security event's commit), run against the fakes and against Firestore."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.events.security_events import SecurityEvents
from application.events.webhooks.ports import WebhookDeliveries, WebhookEndpoints
from domain.events.security_events import SecurityEvent
from domain.events.webhooks import Attempt, Delivery, DeliveryStatus, WebhookEndpoint
from domain.ids import new_id
from domain.standard_webhooks import new_message_id
from tests.fakes.events import FakeSecurityEvents, FakeWebhookDeliveries, FakeWebhookEndpoints

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@dataclass
class Ports:
    endpoints: WebhookEndpoints
    deliveries: WebhookDeliveries
    events: SecurityEvents


@pytest.fixture(params=["fake", "firestore"])
def ports(request: pytest.FixtureRequest) -> Ports:
    if request.param == "fake":
        deliveries = FakeWebhookDeliveries()
        return Ports(
            FakeWebhookEndpoints(), deliveries, FakeSecurityEvents(deliveries.store, deliveries)
        )
    from infrastructure.firestore.events.security_events import FirestoreSecurityEvents
    from infrastructure.firestore.events.webhooks import (
        FirestoreWebhookDeliveries,
        FirestoreWebhookEndpoints,
    )

    client: Any = request.getfixturevalue("firestore")
    return Ports(
        FirestoreWebhookEndpoints(client),
        FirestoreWebhookDeliveries(client),
        FirestoreSecurityEvents(client),
    )


def endpoint(seconds: int = 0, **fields: Any) -> WebhookEndpoint:
    values: dict[str, Any] = {
        "id": new_id(),
        "url": "https://hooks.example.com/in",
        "events": ("user.created", "signin.failed"),
        "description": "CRM",
        "sealed_secret": "sealed",
        "created_at": NOW + timedelta(seconds=seconds),
    }
    return WebhookEndpoint(**(values | fields))


def delivery(endpoint_id: str, seconds: int = 0, **fields: Any) -> Delivery:
    at = NOW + timedelta(seconds=seconds)
    values: dict[str, Any] = {
        "id": new_message_id(),
        "endpoint_id": endpoint_id,
        "event_type": "user.created",
        "event_id": new_id(),
        "payload": '{"type":"user.created"}',
        "created_at": at,
        "next_attempt_at": at,
        "retry_since": at,
    }
    return Delivery(**(values | fields))


def stored_with_event(ports: Ports, *deliveries: Delivery) -> None:
    event = SecurityEvent(id=new_id(), at=NOW, type="user.created", user_id="u1")
    ports.events.add(event, deliveries)
    assert ports.events.list_page("u1", None, None, 10)[0] == event


def test_endpoints_come_back_listed_oldest_first_and_are_deleted(ports: Ports) -> None:
    older, newer = endpoint(0), endpoint(5, failing_since=NOW, enabled=False, events=("a",))
    ports.endpoints.add(newer)
    ports.endpoints.add(older)
    assert ports.endpoints.get(newer.id) == newer
    assert ports.endpoints.list_all() == [older, newer]
    ports.endpoints.set_health(older.id, False, NOW)
    assert ports.endpoints.get(older.id) == replace(older, enabled=False, failing_since=NOW)
    assert ports.endpoints.delete(older.id) is True
    assert ports.endpoints.delete(older.id) is False
    assert ports.endpoints.get(older.id) is None
    ports.endpoints.set_health(older.id, True, None)  # gone: nothing, and no error
    assert ports.endpoints.list_all() == [newer]


def test_deliveries_are_written_in_the_events_commit_and_come_back(ports: Ports) -> None:
    first, second = delivery("e1"), delivery("e2")
    stored_with_event(ports, first, second)
    assert ports.deliveries.get(first.id) == first
    assert ports.deliveries.get(second.id) == second
    assert ports.deliveries.get(new_message_id()) is None


def test_deliveries_of_no_security_event_are_written_alone_once(ports: Ports) -> None:
    """An account claimed is stored as no security event: its back-channel logout tokens'
    deliveries are written by themselves (a retried commit keeps one of each)."""
    payload = '{"sub":"u1","sid":"s1"}'
    first = delivery("client-1", event_type="oidc.backchannel_logout", payload=payload)
    second = delivery("client-2", event_type="oidc.backchannel_logout", payload=payload)
    ports.events.add_deliveries([first, second])
    ports.events.add_deliveries([first])
    assert ports.deliveries.get(first.id) == first
    assert ports.deliveries.get(second.id) == second
    assert ports.events.list_page("u1", None, None, 10) == []
    assert ports.deliveries.list_page("client-1", None, 10) == [first]


def test_a_claim_is_taken_once_and_only_when_due(ports: Ports) -> None:
    due, later = delivery("e1"), delivery("e1", next_attempt_at=NOW + timedelta(minutes=1))
    stored_with_event(ports, due, later)
    until = NOW + timedelta(seconds=30)
    assert ports.deliveries.claim(due.id, NOW, until) == due
    assert ports.deliveries.claim(due.id, NOW, until) is None  # claimed
    assert ports.deliveries.claim(later.id, NOW, until) is None  # not yet due
    assert ports.deliveries.claim(new_message_id(), NOW, until) is None
    claimed = ports.deliveries.get(due.id)
    assert claimed is not None and claimed.next_attempt_at == until
    assert ports.deliveries.claim(due.id, until, until + timedelta(seconds=30)) is not None


def test_save_records_attempts_and_due_finds_pending_ones_in_time_order(ports: Ports) -> None:
    a = delivery("e1", 0)
    b = delivery("e1", 1)
    c = delivery("e1", 2)
    stored_with_event(ports, a, b, c)
    done = replace(
        a,
        status=DeliveryStatus.SUCCEEDED,
        attempts=(Attempt(NOW, 500, None), Attempt(NOW + timedelta(seconds=5), 204, None)),
    )
    ports.deliveries.save(done)
    assert ports.deliveries.get(a.id) == done
    later = replace(
        c,
        attempts=(Attempt(NOW, None, "Timeout"),),
        next_attempt_at=NOW + timedelta(minutes=5),
    )
    ports.deliveries.save(later)
    assert ports.deliveries.due(NOW + timedelta(seconds=10), 10) == [b.id]
    assert ports.deliveries.due(NOW + timedelta(minutes=5), 10) == [b.id, c.id]
    assert ports.deliveries.due(NOW + timedelta(minutes=5), 1) == [b.id]


def test_deliveries_page_newest_first_per_endpoint(ports: Ports) -> None:
    mine = [delivery("e1", n) for n in range(3)] + [delivery("e1", 3) for _ in range(2)]
    stored_with_event(ports, *mine, delivery("e2", 9))
    newest_first = sorted(mine, key=lambda d: (d.created_at, d.id), reverse=True)
    assert ports.deliveries.list_page("e1", None, 10) == newest_first
    first = ports.deliveries.list_page("e1", None, 2)
    rest = ports.deliveries.list_page("e1", (first[-1].created_at, first[-1].id), 10)
    assert first + rest == newest_first


def test_many_deliveries_come_back_in_one_time_order(ports: Ports) -> None:
    # Spread over the adapter's shards (docs/decisions/0356-queries-held-against-their-
    # indexes.md), they are still one list, oldest due first and newest created first.
    many = [delivery("e1", n) for n in range(24)]
    stored_with_event(ports, *many)
    assert ports.deliveries.due(NOW + timedelta(minutes=1), 30) == [d.id for d in many]
    assert ports.deliveries.due(NOW + timedelta(seconds=9), 4) == [d.id for d in many[:4]]
    pages: list[Delivery] = []
    before: tuple[datetime, str] | None = None
    while page := ports.deliveries.list_page("e1", before, 5):
        pages += page
        before = (page[-1].created_at, page[-1].id)
    assert pages == many[::-1]
