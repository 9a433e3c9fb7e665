"""Fakes of the events' ports: the audit log, security events and webhooks (endpoints,
deliveries, the sender, the pinned client, the sweeper's scheduler)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from application.outbound import Answer, DocumentTooLarge, WebhookUnreachable
from application.ports import AuditEvent, StagedWrites
from domain.errors import Conflict
from domain.events.outbox import OutboxEntry
from domain.events.security_events import SecurityEvent
from domain.events.webhooks import Delivery, WebhookEndpoint
from tests.fakes.kernel import InMemoryStore


class RecordingAuditLog:
    """Keeps the audit events so tests assert on them, not on log text."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def record(self, event: AuditEvent) -> None:
        self.events.append(event)

    def stage(self, events: Sequence[AuditEvent]) -> StagedWrites:
        return StagedWrites(audit=tuple(events))

    def committed(self, staged: StagedWrites) -> None:
        self.events.extend(staged.audit)


class FakeSecurityEvents:
    """Events, with their webhook deliveries, in the store's collections under its lock."""

    def __init__(
        self,
        store: InMemoryStore | None = None,
        deliveries: FakeWebhookDeliveries | None = None,
    ) -> None:
        self.store = store or InMemoryStore()
        self.lock = self.store.lock
        self.events: dict[str, SecurityEvent] = self.store.security_events
        self.deliveries = deliveries or FakeWebhookDeliveries(self.store)
        self.broken = False

    def add(
        self,
        event: SecurityEvent,
        deliveries: Sequence[Delivery] = (),
        entries: Sequence[OutboxEntry] = (),
    ) -> None:
        if self.broken:
            raise RuntimeError("the fake security events are broken")
        with self.lock, self.deliveries.lock:
            self.events[event.id] = event
            for delivery in deliveries:
                self.deliveries.deliveries.setdefault(delivery.id, delivery)
            for entry in entries:
                self.store.event_outbox.setdefault(entry.id, entry)

    def add_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        if self.broken:
            raise RuntimeError("the fake security events are broken")
        with self.deliveries.lock:
            for delivery in deliveries:
                self.deliveries.deliveries.setdefault(delivery.id, delivery)

    def list_page(
        self, user_id: str, type: str | None, before: tuple[datetime, str] | None, limit: int
    ) -> list[SecurityEvent]:
        return self._newest(
            lambda e: e.user_id == user_id and (type is None or e.type == type), before, limit
        )

    def list_org_page(
        self, org_id: str, before: tuple[datetime, str] | None, limit: int
    ) -> list[SecurityEvent]:
        return self._newest(lambda e: e.org_id == org_id, before, limit)

    def _newest(
        self,
        match: Callable[[SecurityEvent], bool],
        before: tuple[datetime, str] | None,
        limit: int,
    ) -> list[SecurityEvent]:
        with self.lock:
            rows = sorted(
                (e for e in self.events.values() if match(e)),
                key=lambda e: (e.at, e.id),
                reverse=True,
            )
        return [e for e in rows if before is None or (e.at, e.id) < before][:limit]


class FakeOutboxEntries:
    """The units' outbox entries, in the store's collection under its lock."""

    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store or InMemoryStore()
        self.entries: dict[str, OutboxEntry] = self.store.event_outbox

    def oldest(self, key: str, limit: int) -> list[OutboxEntry]:
        with self.store.lock:
            found = sorted(
                (entry for entry in self.entries.values() if entry.key == key),
                key=lambda entry: (entry.at, entry.id),
            )
        return found[:limit]

    def remove(self, entry_ids: Sequence[str]) -> None:
        with self.store.lock:
            for entry_id in entry_ids:
                self.entries.pop(entry_id, None)

    def remove_key(self, key: str) -> int:
        with self.store.lock:
            gone = [entry_id for entry_id, entry in self.entries.items() if entry.key == key]
            for entry_id in gone:
                del self.entries[entry_id]
        return len(gone)


class FakeWebhookEndpoints:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.endpoints: dict[str, WebhookEndpoint] = {}
        self.reads = 0  # list_all calls: the outbox's cache keeps them few

    def add(self, endpoint: WebhookEndpoint) -> None:
        with self.lock:
            if endpoint.id in self.endpoints:
                raise Conflict("exists")
            self.endpoints[endpoint.id] = endpoint

    def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        return self.endpoints.get(endpoint_id)

    def list_all(self) -> list[WebhookEndpoint]:
        with self.lock:
            self.reads += 1
            return sorted(self.endpoints.values(), key=lambda e: (e.created_at, e.id))

    def delete(self, endpoint_id: str) -> bool:
        with self.lock:
            return self.endpoints.pop(endpoint_id, None) is not None

    def set_health(self, endpoint_id: str, enabled: bool, failing_since: datetime | None) -> None:
        with self.lock:
            endpoint = self.endpoints.get(endpoint_id)
            if endpoint is not None:
                self.endpoints[endpoint_id] = replace(
                    endpoint, enabled=enabled, failing_since=failing_since
                )


class FakeWebhookDeliveries:
    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store or InMemoryStore()
        self.lock = self.store.lock
        self.deliveries: dict[str, Delivery] = self.store.webhook_deliveries

    def get(self, delivery_id: str) -> Delivery | None:
        return self.deliveries.get(delivery_id)

    def claim(self, delivery_id: str, now: datetime, until: datetime) -> Delivery | None:
        with self.lock:
            delivery = self.deliveries.get(delivery_id)
            if delivery is None or not delivery.due(now):
                return None
            self.deliveries[delivery_id] = replace(delivery, next_attempt_at=until)
            return delivery

    def save(self, delivery: Delivery) -> None:
        with self.lock:
            if delivery.id in self.deliveries:
                self.deliveries[delivery.id] = delivery

    def list_page(
        self, endpoint_id: str, before: tuple[datetime, str] | None, limit: int
    ) -> list[Delivery]:
        with self.lock:
            rows = sorted(
                (d for d in self.deliveries.values() if d.endpoint_id == endpoint_id),
                key=lambda d: (d.created_at, d.id),
                reverse=True,
            )
        return [d for d in rows if before is None or (d.created_at, d.id) < before][:limit]

    def due(self, now: datetime, limit: int) -> list[str]:
        with self.lock:
            rows = sorted(
                (d for d in self.deliveries.values() if d.due(now)),
                key=lambda d: (d.next_attempt_at, d.id),
            )
        return [d.id for d in rows][:limit]


class FakeWebhookSender:
    """Answers each POST with the next of ``answers`` (then the last again); an int is a
    status code, None no answer at all. Keeps what was sent."""

    def __init__(self, *answers: int | None) -> None:
        self.answers = list(answers) or [200]
        self.sent: list[tuple[str, str, dict[str, str]]] = []
        self.addresses: list[str | None] = []  # where each POST connected (None: the host)

    def post(self, url: str, body: str, headers: dict[str, str], address: str | None = None) -> int:
        self.sent.append((url, body, headers))
        self.addresses.append(address)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if answer is None:
            raise WebhookUnreachable("ConnectionError")
        return answer


@dataclass(frozen=True)
class Asked:
    """One request the pinned client was asked to send, and the address it was pinned to."""

    method: str
    url: str
    headers: dict[str, str]
    address: str | None


class FakePinnedClient:
    """Answers a request for each (method, URL) of ``answers`` with it: a JSON document
    (200), an int, that status (a redirect's Location elsewhere), or an ``Answer`` as it is;
    a ``WebhookUnreachable`` is raised (the cause the real client names); any other request
    gets no answer. Keeps each request asked."""

    def __init__(self, answers: Mapping[tuple[str, str], object] | None = None) -> None:
        self.answers = dict(answers or {})
        self.asked: list[Asked] = []

    def exchange(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        *,
        address: str | None,
        limit: int,
        timeout: float | None = None,
    ) -> Answer:
        self.asked.append(Asked(method, url, dict(headers), address))
        if (method, url) not in self.answers:
            raise WebhookUnreachable("connection_refused")
        answer = self.answers[(method, url)]
        if isinstance(answer, WebhookUnreachable):
            raise answer
        if isinstance(answer, Answer):  # as it is, headers and all
            if len(answer.body) > limit:
                raise DocumentTooLarge(str(limit))
            return answer
        if isinstance(answer, int):
            return Answer(answer, "", (("Location", "https://elsewhere.example/"),), b"")
        document = json.dumps(answer).encode()
        if len(document) > limit:
            raise DocumentTooLarge(str(limit))
        return Answer(200, "OK", (("Content-Type", "application/json"),), document)


class FakeScheduler:
    """Keeps the periodic tasks; tests run them."""

    def __init__(self) -> None:
        self.tasks: list[tuple[float, Callable[[], object]]] = []

    def every(self, seconds: float, task: Callable[[], object]) -> None:
        self.tasks.append((seconds, task))

    def run_all(self) -> None:
        for _, task in self.tasks:
            task()
