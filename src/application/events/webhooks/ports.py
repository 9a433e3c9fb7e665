"""What the webhooks need from outside: where endpoints and deliveries are stored, a
background timer and the policy the settings decide. How a delivery is sent is the
platform's outbound client's port, ``WebhookSender`` (application/outbound.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from application.hooks.ports import HookClient
from domain.events.webhooks import Delivery, RetryPolicy, WebhookEndpoint


class WebhookEndpoints(Protocol):
    def add(self, endpoint: WebhookEndpoint) -> None:
        """Store a new endpoint."""
        ...

    def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        """The endpoint, or None."""
        ...

    def list_all(self) -> list[WebhookEndpoint]:
        """Every endpoint, oldest first (there are few)."""
        ...

    def delete(self, endpoint_id: str) -> bool:
        """Delete it; False if there was none."""
        ...

    def set_health(self, endpoint_id: str, enabled: bool, failing_since: datetime | None) -> None:
        """Record whether it is enabled and since when it fails; nothing if it is gone."""
        ...


class WebhookDeliveries(Protocol):
    def get(self, delivery_id: str) -> Delivery | None:
        """The delivery, or None."""
        ...

    def claim(self, delivery_id: str, now: datetime, until: datetime) -> Delivery | None:
        """The delivery if it is due at ``now``, its next attempt moved to ``until`` so no
        other worker sends it meanwhile; None if it is not due, or another claimed it."""
        ...

    def save(self, delivery: Delivery) -> None:
        """Write its status, attempts and schedule."""
        ...

    def list_page(
        self, endpoint_id: str, before: tuple[datetime, str] | None, limit: int
    ) -> list[Delivery]:
        """Up to ``limit`` of the endpoint's deliveries, newest first by (created_at, id),
        before that position."""
        ...

    def due(self, now: datetime, limit: int) -> list[str]:
        """The ids of up to ``limit`` pending deliveries whose next attempt is due."""
        ...


@dataclass(frozen=True)
class Target:
    """Where one attempt of a delivery that is no webhook goes, and what it sends."""

    url: str
    body: str
    headers: dict[str, str]


class DeliveryChannel(Protocol):
    """Deliveries of one event type that go elsewhere than to a webhook endpoint (a client's
    back-channel logout URI), through the same outbox: retries, deadline, address rules."""

    def target(self, delivery: Delivery) -> Target | str:
        """This attempt's target; or why the delivery stops (its recipient is gone)."""
        ...


class DocumentGetter(Protocol):
    def get(self, url: str, address: str | None, limit: int) -> bytes:
        """GET ``url`` as a webhook is sent (pinned to ``address``, the same deadline, no
        redirect followed): the body of a 200 answer of at most ``limit`` bytes;
        DocumentTooLarge past it, WebhookUnreachable for anything else."""
        ...


class PinnedClient(HookClient, Protocol):
    """The client a request goes through as a webhook is sent (an IdP's, for one): the auth
    hooks' own, each ``exchange`` within the webhooks' deadline (no ``timeout`` given)."""


class Scheduler(Protocol):
    def every(self, seconds: float, task: Callable[[], object]) -> None:
        """Run ``task`` every ``seconds`` in the background of this process, the first time
        soon after it is asked (within ``seconds``, and within seconds of a server's start);
        what it returns is not used."""
        ...


@dataclass(frozen=True)
class WebhookPolicy:
    local: bool  # the local profile: http and loopback URLs allowed, no address check
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: float = 5.0  # the sender's deadline for a whole attempt; a claim lasts six
    cache_ttl: float = 5.0  # seconds the list of endpoints is reused
    sweep_interval: float = 20.0  # 0: no sweeper in this process

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=max(6 * self.timeout, 1.0))

    @property
    def deadline(self) -> timedelta:
        """The longest an attempt's POST takes: the sender cuts it there."""
        return timedelta(seconds=self.timeout)
