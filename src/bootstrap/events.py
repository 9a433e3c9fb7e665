"""Events: their adapters (the security events, the webhooks' endpoints and deliveries, and
what sends them), made from their settings, and what is built on them: the audit log's
store and outbox, the webhooks' deliveries, sweeper and admin pages, the account's
activity, each an object given its ports here.

What they need of another capability is named in their builders' signatures
(docs/decisions/0042-wiring-per-feature.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from application.accounts.accounts import ProfileSchemaSource, UserRepository
from application.events.auth_hooks.admin import AuthHooks
from application.events.auth_hooks.caller import HookCache, HookCaller
from application.events.auth_hooks.hooked import HookMailer, TokenClaimsHook
from application.events.auth_hooks.ports import AuthHookStore, HookClient, HookPolicy
from application.events.auth_hooks.sign_up import BeforeSignUp
from application.events.security_events import (
    EventHistory,
    SecurityEvents,
    SessionEnds,
    StoringAuditLog,
)
from application.events.webhooks.admin import Webhooks
from application.events.webhooks.cache import EndpointCache
from application.events.webhooks.delivery import WebhookDelivery
from application.events.webhooks.jobs import DeliverySweeper, DisabledEndpointMail
from application.events.webhooks.outbox import DELIVER_WEBHOOK, WebhookOutbox
from application.events.webhooks.ports import (
    DeliveryChannel,
    Scheduler,
    WebhookDeliveries,
    WebhookEndpoints,
    WebhookPolicy,
    WebhookSender,
)
from application.jobs import JobHandler
from application.outbound import HostResolver
from application.ports import AuditLog, JobQueue, SecretBox
from bootstrap.mail import MailAdapters
from bootstrap.metrics import metered
from bootstrap.platform import Platform
from domain.events.auth_hooks import MAX_TIMEOUT_MS
from domain.events.webhooks import RetryPolicy
from infrastructure.events.scheduler import ThreadScheduler
from infrastructure.firestore.accounts.users import StagedWriter
from infrastructure.firestore.events.auth_hooks import FirestoreAuthHooks
from infrastructure.firestore.events.security_events import FirestoreSecurityEvents, write_staged
from infrastructure.firestore.events.webhooks import (
    FirestoreWebhookDeliveries,
    FirestoreWebhookEndpoints,
)
from infrastructure.outbound_http import PinnedWebhookSender, SocketHostResolver
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
    auth_hooks: AuthHookStore
    hook_client: HookClient  # each call cut at its hook's own deadline


def build(settings: Settings, client: Client) -> EventsAdapters:
    return EventsAdapters(
        security_events=FirestoreSecurityEvents(client),
        webhook_endpoints=FirestoreWebhookEndpoints(client),
        webhook_deliveries=FirestoreWebhookDeliveries(client),
        host_resolver=SocketHostResolver(),
        webhook_sender=PinnedWebhookSender(timeout=settings.events.webhook_timeout),
        scheduler=ThreadScheduler(),
        auth_hooks=FirestoreAuthHooks(client),
        hook_client=PinnedWebhookSender(timeout=MAX_TIMEOUT_MS / 1000),
    )


def staged_writer() -> StagedWriter:
    """How a change's security events join its commit, for the repositories below events that
    write them in theirs (the accounts' and the sessions')."""
    return write_staged


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


def webhook_outbox(
    own: EventsAdapters, policy: WebhookPolicy, *, platform: Platform, queue: JobQueue
) -> WebhookOutbox:
    """The outbox the audit log writes to; the webhooks' objects share its cache."""
    cache = EndpointCache(own.webhook_endpoints, platform.clock, policy.cache_ttl)
    return WebhookOutbox(cache, queue, platform.clock, policy.lease)


def stored_audit(
    own: EventsAdapters,
    *,
    platform: Platform,
    outbox: WebhookOutbox,
    ends: SessionEnds | None = None,
) -> AuditLog:
    """The audit log that also stores each event where the account's owner and the admins
    read it, with its webhook deliveries, in the change's own commit; ``ends``: the
    back-channel logout tokens of an event that ends sessions, in that commit too."""
    audited = metered(platform.audit, platform.metrics)
    return StoringAuditLog(audited, own.security_events, platform.clock, outbox, ends)


def webhook_handlers(
    own: EventsAdapters,
    policy: WebhookPolicy,
    *,
    users: UserRepository,
    box_key: SecretBox,
    platform: Platform,
    outbox: WebhookOutbox,
    queue: JobQueue,
    channels: Mapping[str, DeliveryChannel] | None = None,
) -> dict[str, JobHandler]:
    """``users``: the admins mailed when an endpoint is disabled; ``box_key``: what unseals
    the endpoints' signing secrets (sign-in's secret box); ``channels``: the deliveries that
    go elsewhere than to an endpoint (back-channel logout), by event type."""
    delivery = WebhookDelivery(
        deliveries=own.webhook_deliveries,
        cache=outbox.cache,
        endpoints=own.webhook_endpoints,
        box=box_key,
        resolver=own.host_resolver,
        sender=own.webhook_sender,
        clock=platform.clock,
        policy=policy,
        on_disabled=DisabledEndpointMail(users=users, queue=queue).mail_admins,
        metrics=platform.metrics,
        channels=channels,
    )
    return {DELIVER_WEBHOOK: delivery.run}


def delivery_sweeper(
    own: EventsAdapters, *, platform: Platform, queue: JobQueue
) -> DeliverySweeper:
    """The pass that queues the deliveries due: ``queue`` is the webhooks' own."""
    return DeliverySweeper(deliveries=own.webhook_deliveries, queue=queue, clock=platform.clock)


def start_sweeper(own: EventsAdapters, policy: WebhookPolicy, sweeper: DeliverySweeper) -> None:
    """Queue what is due now (a crash's leftovers) and every ``sweep_interval`` seconds."""
    if policy.sweep_interval <= 0:
        return
    own.scheduler.every(policy.sweep_interval, sweeper.sweep)


def webhooks(
    own: EventsAdapters,
    policy: WebhookPolicy,
    *,
    box_key: SecretBox,
    platform: Platform,
    outbox: WebhookOutbox,
    queue: JobQueue,
) -> Webhooks:
    """``box_key``: what seals the endpoints' signing secrets (sign-in's secret box)."""
    return Webhooks(
        endpoints=own.webhook_endpoints,
        deliveries=own.webhook_deliveries,
        cache=outbox.cache,
        box=box_key,
        queue=queue,
        clock=platform.clock,
        policy=policy,
    )


def event_history(own: EventsAdapters, *, users: UserRepository) -> EventHistory:
    """``users``: whose events an admin lists by id."""
    return EventHistory(events=own.security_events, users=users)


def hook_policy(settings: Settings) -> HookPolicy:
    """The webhooks' URL rules, and their endpoints' cache time for the hooks' copy."""
    return HookPolicy(
        local=settings.service.app_profile == "local",
        cache_ttl=settings.events.webhook_cache_ttl,
    )


def hook_cache(own: EventsAdapters, policy: HookPolicy, *, platform: Platform) -> HookCache:
    """The hooks as each process keeps them, shared by their callers and the admins' use
    cases (which drop it on a change)."""
    return HookCache(own.auth_hooks, platform.clock, policy.cache_ttl)


def hook_caller(
    own: EventsAdapters,
    policy: HookPolicy,
    *,
    cache: HookCache,
    box_key: SecretBox,
    platform: Platform,
) -> HookCaller:
    """``box_key``: what opens the hooks' signing secrets (sign-in's secret box)."""
    return HookCaller(
        cache=cache,
        store=own.auth_hooks,
        box=box_key,
        resolver=own.host_resolver,
        client=own.hook_client,
        clock=platform.clock,
        policy=policy,
        metrics=platform.metrics,
    )


def token_hook(caller: HookCaller) -> TokenClaimsHook:
    """The before_token hook, as sign-in, the provider and Firebase ask it."""
    return TokenClaimsHook(caller)


def hooked_mail(mail: MailAdapters, caller: HookCaller) -> MailAdapters:
    """The mail adapters with their mailer behind the send_mail hook."""
    return replace(mail, mailer=HookMailer(caller, mail.mailer))


def auth_hooks(
    own: EventsAdapters,
    policy: HookPolicy,
    *,
    cache: HookCache,
    caller: HookCaller,
    box_key: SecretBox,
    platform: Platform,
) -> AuthHooks:
    """``box_key``: what seals the hooks' signing secrets (sign-in's secret box); ``caller``
    sends ``hooks test``'s samples."""
    return AuthHooks(
        store=own.auth_hooks,
        cache=cache,
        caller=caller,
        box=box_key,
        clock=platform.clock,
        policy=policy,
    )


def before_sign_up(
    caller: HookCaller, *, schemas: ProfileSchemaSource, origin: Callable[[], tuple[str, str]]
) -> BeforeSignUp:
    """The accounts' ``before_sign_up`` hook; ``schemas``: what its attributes are checked
    against; ``origin``: the request's client address and user agent."""
    return BeforeSignUp(caller=caller, schemas=schemas, origin=origin)
