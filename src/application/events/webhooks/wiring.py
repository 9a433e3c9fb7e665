"""The webhooks' wiring (docs/decisions/0042-wiring-per-feature.md): the outbox the audit log
writes to, the job handler, the sweeper and the admins' use cases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from application.accounts.accounts import UserRepository as Users
from application.events.webhooks.admin import (
    CreatedWebhook,
    CreateWebhook,
    DeliveryQuery,
    ListWebhooks,
    Resend,
    WebhookRef,
    create_webhook,
    delete_webhook,
    list_deliveries,
    list_webhooks,
    resend,
    show_webhook,
)
from application.events.webhooks.cache import EndpointCache
from application.events.webhooks.delivery import DeliveryPorts
from application.events.webhooks.jobs import deliver_job, mail_admins, sweep
from application.events.webhooks.outbox import DELIVER_WEBHOOK, WebhookOutbox
from application.events.webhooks.ports import (
    HostResolver,
    Scheduler,
    WebhookDeliveries,
    WebhookEndpoints,
    WebhookPolicy,
    WebhookSender,
)
from application.jobs import JobHandler
from application.pagination import Page
from application.ports import Clock, JobQueue, Metrics, SecretBox
from domain.events.webhooks import Delivery, WebhookEndpoint


class WebhookPorts(Protocol):
    @property
    def webhook_endpoints(self) -> WebhookEndpoints: ...
    @property
    def webhook_deliveries(self) -> WebhookDeliveries: ...
    @property
    def secret_box(self) -> SecretBox: ...
    @property
    def host_resolver(self) -> HostResolver: ...
    @property
    def webhook_sender(self) -> WebhookSender: ...
    @property
    def scheduler(self) -> Scheduler: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def users(self) -> Users: ...
    @property
    def metrics(self) -> Metrics: ...


class WebhookPolicies(Protocol):
    @property
    def webhook_policy(self) -> WebhookPolicy: ...


@dataclass(frozen=True)
class WebhookServices:
    create: Callable[[CreateWebhook], CreatedWebhook]
    list: Callable[[ListWebhooks], list[WebhookEndpoint]]
    show: Callable[[WebhookRef], WebhookEndpoint]
    delete: Callable[[WebhookRef], None]
    deliveries: Callable[[DeliveryQuery], Page[Delivery]]
    resend: Callable[[Resend], Delivery]


def outbox(ports: WebhookPorts, policies: WebhookPolicies, *, queue: JobQueue) -> WebhookOutbox:
    """The outbox ``StoringAuditLog`` writes to; ``bind`` and ``handlers`` share its cache."""
    policy = policies.webhook_policy
    cache = EndpointCache(ports.webhook_endpoints, ports.clock, policy.cache_ttl)
    return WebhookOutbox(cache, queue, ports.clock, policy.lease)


def handlers(
    ports: WebhookPorts, policies: WebhookPolicies, *, box: WebhookOutbox, queue: JobQueue
) -> dict[str, JobHandler]:
    users = ports.users

    def on_disabled(endpoint: WebhookEndpoint) -> None:
        mail_admins(endpoint, users=users, queue=queue)

    delivery_ports = DeliveryPorts(
        deliveries=ports.webhook_deliveries,
        cache=box.cache,
        endpoints=ports.webhook_endpoints,
        box=ports.secret_box,
        resolver=ports.host_resolver,
        sender=ports.webhook_sender,
        clock=ports.clock,
        on_disabled=on_disabled,
        metrics=ports.metrics,
    )
    policy = policies.webhook_policy
    return {DELIVER_WEBHOOK: partial(deliver_job, ports=delivery_ports, policy=policy)}


def start_sweeper(ports: WebhookPorts, policies: WebhookPolicies, *, queue: JobQueue) -> None:
    """Queue what is due now (a crash's leftovers) and every ``sweep_interval`` seconds."""
    interval = policies.webhook_policy.sweep_interval
    if interval <= 0:
        return
    deliveries, clock = ports.webhook_deliveries, ports.clock

    def task() -> None:
        sweep(deliveries=deliveries, queue=queue, clock=clock)

    ports.scheduler.every(interval, task)


def bind(
    ports: WebhookPorts, policies: WebhookPolicies, *, box: WebhookOutbox, queue: JobQueue
) -> WebhookServices:
    endpoints, deliveries, clock = ports.webhook_endpoints, ports.webhook_deliveries, ports.clock
    secrets, cache, policy = ports.secret_box, box.cache, policies.webhook_policy
    return WebhookServices(
        create=partial(
            create_webhook,
            endpoints=endpoints,
            cache=cache,
            box=secrets,
            clock=clock,
            policy=policy,
        ),
        list=partial(list_webhooks, endpoints=endpoints),
        show=partial(show_webhook, endpoints=endpoints),
        delete=partial(delete_webhook, endpoints=endpoints, cache=cache),
        deliveries=partial(list_deliveries, endpoints=endpoints, deliveries=deliveries),
        resend=partial(
            resend, endpoints=endpoints, deliveries=deliveries, queue=queue, clock=clock
        ),
    )
