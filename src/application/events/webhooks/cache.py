"""The endpoints as each process keeps them: the outbox needs them at every event."""

from __future__ import annotations

import logging

from application.events.webhooks.ports import WebhookEndpoints
from application.ports import Clock
from application.remembered import KeptCopy
from domain.events.webhooks import WebhookEndpoint

log = logging.getLogger("firegate.webhooks")


class EndpointCache:
    """The endpoints, read at most once per ``ttl`` seconds per process (the outbox needs
    them at every event); a change made in this process drops the copy. On a failed read a
    copy that has expired is kept."""

    def __init__(self, endpoints: WebhookEndpoints, clock: Clock, ttl: float) -> None:
        self._endpoints = endpoints
        self._copy = KeptCopy(
            endpoints.list_all, clock=clock, ttl=ttl, log=log, what="webhook endpoints"
        )

    def all(self) -> list[WebhookEndpoint]:
        return self._copy.get()

    def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        found = next((e for e in self.all() if e.id == endpoint_id), None)
        return found if found is not None else self._endpoints.get(endpoint_id)

    def drop(self) -> None:
        self._copy.drop()
