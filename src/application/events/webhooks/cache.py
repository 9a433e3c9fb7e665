"""The endpoints as each process keeps them: the outbox needs them at every event."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from application.events.webhooks.ports import WebhookEndpoints
from application.ports import Clock
from domain.events.webhooks import WebhookEndpoint

log = logging.getLogger("firegate.webhooks")


class EndpointCache:
    """The endpoints, read at most once per ``ttl`` seconds per process (the outbox needs
    them at every event); a change made in this process drops the copy. On a failed read a
    copy that has expired is kept."""

    def __init__(self, endpoints: WebhookEndpoints, clock: Clock, ttl: float) -> None:
        self._endpoints, self._clock, self._ttl = endpoints, clock, timedelta(seconds=ttl)
        self._lock = threading.Lock()
        self._copy: list[WebhookEndpoint] | None = None
        self._read_at: datetime | None = None

    def all(self) -> list[WebhookEndpoint]:
        now = self._clock.now()
        with self._lock:
            copy, read_at = self._copy, self._read_at
        if copy is not None and read_at is not None and now - read_at < self._ttl:
            return copy
        try:
            fresh = self._endpoints.list_all()
        except Exception:
            if copy is None:
                raise
            log.warning("webhook endpoints not read; the last copy is used")
            return copy
        with self._lock:
            self._copy, self._read_at = fresh, now
        return fresh

    def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        found = next((e for e in self.all() if e.id == endpoint_id), None)
        return found if found is not None else self._endpoints.get(endpoint_id)

    def drop(self) -> None:
        with self._lock:
            self._copy, self._read_at = None, None
