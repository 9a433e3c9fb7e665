"""The admins' webhook use cases as a driving adapter calls them, each bound by
``bootstrap/events.py`` (docs/decisions/0042-wiring-per-feature.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from application.events.webhooks.admin import (
    CreatedWebhook,
    CreateWebhook,
    DeliveryQuery,
    ListWebhooks,
    Resend,
    WebhookRef,
)
from application.pagination import Page
from domain.events.webhooks import Delivery, WebhookEndpoint


@dataclass(frozen=True)
class WebhookServices:
    create: Callable[[CreateWebhook], CreatedWebhook]
    list: Callable[[ListWebhooks], list[WebhookEndpoint]]
    show: Callable[[WebhookRef], WebhookEndpoint]
    delete: Callable[[WebhookRef], None]
    deliveries: Callable[[DeliveryQuery], Page[Delivery]]
    resend: Callable[[Resend], Delivery]
