"""Events: their adapters (the security events, the webhooks' endpoints and deliveries, and
what sends them), made from their settings, and their use cases bound to them: the audit
log's store and outbox, the webhooks' deliveries, sweeper and admin pages, the account's
activity.

A use case is bound here with ``functools.partial``; what it needs of another capability is
named in its binding's signature (docs/decisions/0042-wiring-per-feature.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING

from application.accounts.accounts import UserRepository
from application.events.security_events import (
    EventServices,
    SecurityEvents,
    SessionEnds,
    StoringAuditLog,
    list_events,
    recent_activity,
)
from application.events.webhooks.admin import (
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
    DeliveryChannel,
    HostResolver,
    Scheduler,
    WebhookDeliveries,
    WebhookEndpoints,
    WebhookPolicy,
    WebhookSender,
)
from application.events.webhooks.services import WebhookServices
from application.jobs import JobHandler
from application.ports import AuditLog, JobQueue, SecretBox
from bootstrap.metrics import metered
from bootstrap.platform import Platform
from domain.events.webhooks import RetryPolicy
from infrastructure.events.webhook_http import (
    PinnedWebhookSender,
    SocketHostResolver,
    ThreadScheduler,
)
from infrastructure.firestore.events.security_events import FirestoreSecurityEvents
from infrastructure.firestore.events.webhooks import (
    FirestoreWebhookDeliveries,
    FirestoreWebhookEndpoints,
)
from infrastructure.settings import Settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client


@dataclass(frozen=True)
class EventsAdapters:
    security_events: SecurityEvents
    webhook_endpoints: WebhookEndpoints
    webhook_deliveries: WebhookDeliveries
    host_resolver: HostResolver
    webhook_sender: WebhookSender
    scheduler: Scheduler


def build(settings: Settings, client: Client) -> EventsAdapters:
    return EventsAdapters(
        security_events=FirestoreSecurityEvents(client),
        webhook_endpoints=FirestoreWebhookEndpoints(client),
        webhook_deliveries=FirestoreWebhookDeliveries(client),
        host_resolver=SocketHostResolver(),
        webhook_sender=PinnedWebhookSender(timeout=settings.events.webhook_timeout),
        scheduler=ThreadScheduler(),
    )


def webhook_policy(settings: Settings) -> WebhookPolicy:
    events = settings.events
    return WebhookPolicy(
        local=settings.service.app_profile == "local",
        retry=RetryPolicy(
            first=timedelta(seconds=events.webhook_retry_first),
            window=timedelta(seconds=events.webhook_retry_window),
        ),
        timeout=events.webhook_timeout,
        cache_ttl=events.webhook_cache_ttl,
        sweep_interval=events.webhook_sweep_interval,
    )


def outbox(
    own: EventsAdapters, policy: WebhookPolicy, *, platform: Platform, queue: JobQueue
) -> WebhookOutbox:
    """The outbox the audit log writes to; the webhooks' bindings share its cache."""
    cache = EndpointCache(own.webhook_endpoints, platform.clock, policy.cache_ttl)
    return WebhookOutbox(cache, queue, platform.clock, policy.lease)


def stored_audit(
    own: EventsAdapters,
    *,
    platform: Platform,
    box: WebhookOutbox,
    ends: SessionEnds | None = None,
) -> AuditLog:
    """The audit log that also stores each event where the account's owner and the admins
    read it, with its webhook deliveries, in the change's own commit; ``ends``: the
    back-channel logout tokens of an event that ends sessions, in that commit too."""
    audited = metered(platform.audit, platform.metrics)
    return StoringAuditLog(audited, own.security_events, platform.clock, box, ends)


def webhook_handlers(
    own: EventsAdapters,
    policy: WebhookPolicy,
    *,
    users: UserRepository,
    box_key: SecretBox,
    platform: Platform,
    box: WebhookOutbox,
    queue: JobQueue,
    channels: Mapping[str, DeliveryChannel] | None = None,
) -> dict[str, JobHandler]:
    """``users``: the admins mailed when an endpoint is disabled; ``box_key``: what unseals
    the endpoints' signing secrets (sign-in's secret box); ``channels``: the deliveries that
    go elsewhere than to an endpoint (back-channel logout), by event type."""
    delivery_ports = DeliveryPorts(
        deliveries=own.webhook_deliveries,
        cache=box.cache,
        endpoints=own.webhook_endpoints,
        box=box_key,
        resolver=own.host_resolver,
        sender=own.webhook_sender,
        clock=platform.clock,
        on_disabled=partial(mail_admins, users=users, queue=queue),
        metrics=platform.metrics,
        channels=dict(channels or {}),
    )
    return {DELIVER_WEBHOOK: partial(deliver_job, ports=delivery_ports, policy=policy)}


def start_sweeper(
    own: EventsAdapters, policy: WebhookPolicy, *, platform: Platform, queue: JobQueue
) -> None:
    """Queue what is due now (a crash's leftovers) and every ``sweep_interval`` seconds."""
    if policy.sweep_interval <= 0:
        return
    deliveries, clock = own.webhook_deliveries, platform.clock

    def task() -> None:
        sweep(deliveries=deliveries, queue=queue, clock=clock)

    own.scheduler.every(policy.sweep_interval, task)


def bind_webhooks(
    own: EventsAdapters,
    policy: WebhookPolicy,
    *,
    box_key: SecretBox,
    platform: Platform,
    box: WebhookOutbox,
    queue: JobQueue,
) -> WebhookServices:
    """``box_key``: what seals the endpoints' signing secrets (sign-in's secret box)."""
    endpoints, deliveries, clock = own.webhook_endpoints, own.webhook_deliveries, platform.clock
    cache = box.cache
    return WebhookServices(
        create=partial(
            create_webhook,
            endpoints=endpoints,
            cache=cache,
            box=box_key,
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


def bind_events(own: EventsAdapters, *, users: UserRepository) -> EventServices:
    """``users``: whose events an admin lists by name."""
    events = own.security_events
    return EventServices(
        list=partial(list_events, events=events, users=users),
        recent=partial(recent_activity, events=events, users=users),
    )
