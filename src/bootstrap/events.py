"""Events: their adapters (the security events, the webhooks' endpoints and deliveries, and
what sends them), made from their settings, and what is built on them: the audit log's
store and outbox, the webhooks' deliveries, sweeper and admin pages, the account's
activity, each an object given its ports here.

What they need of another capability is named in their builders' signatures
(docs/decisions/0042-wiring-per-feature.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from application.accounts.accounts import UserRepository
from application.events.outbox import EventOutbox
from application.events.security_events import (
    EventHistory,
    SecurityEvents,
    SessionEnds,
    StoringAuditLog,
    WithRequestOrigin,
)
from application.events.services import EventServices
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
)
from application.jobs import JOBS, SWEEPS, TIMERS, JobHandler
from application.mail.sending import NotifyingAuditLog
from application.outbound import HostResolver, WebhookSender
from application.ports import NO_METRICS, AuditLog, JobQueue, Metrics, SecretBox
from bootstrap.accounts import STAGED_WRITES, AccountsAdapters
from bootstrap.platform import Platform
from bootstrap.signin_adapters import SigninAdapters
from bootstrap.unit import AUDIT_TRAILS, Built, Footing, Kernel, Lent, Unit
from domain.events.webhooks import RetryPolicy
from domain.slots import Filling, Slot
from infrastructure.events.scheduler import ThreadScheduler
from infrastructure.firestore.accounts.users import StagedWriter
from infrastructure.firestore.events.security_events import FirestoreSecurityEvents, write_staged
from infrastructure.firestore.events.webhooks import (
    FirestoreWebhookDeliveries,
    FirestoreWebhookEndpoints,
)
from infrastructure.outbound_http import SocketHostResolver
from infrastructure.settings import Settings
from infrastructure.settings.identity.events import EventsSettings
from infrastructure.settings.identity.hooks import HookSettings
from interfaces.shared.acting import REQUEST_ACTING
from interfaces.shared.limits import request_origin

if TYPE_CHECKING:
    from flask import Blueprint
    from google.cloud.firestore import Client

    from interfaces.web.parts import Pages


@dataclass(frozen=True)
class EventsAdapters:
    security_events: SecurityEvents
    webhook_endpoints: WebhookEndpoints
    webhook_deliveries: WebhookDeliveries
    host_resolver: HostResolver
    webhook_sender: WebhookSender
    scheduler: Scheduler


def build(footing: Footing) -> EventsAdapters:
    """Its adapters (``Unit.makes``) on ``footing``."""
    settings, client, platform = footing.settings, footing.client, footing.platform
    return EventsAdapters(
        security_events=FirestoreSecurityEvents(client),
        webhook_endpoints=FirestoreWebhookEndpoints(client),
        webhook_deliveries=FirestoreWebhookDeliveries(client),
        host_resolver=SocketHostResolver(),
        webhook_sender=platform.outbound.sender(settings.group(EventsSettings).webhook_timeout),
        scheduler=ThreadScheduler(),
    )


def staged_writer() -> StagedWriter:
    """How a change's security events join its commit, for the repositories below events that
    write them in theirs (the accounts' and the sessions')."""
    return write_staged


def prepares(_settings: Settings, _client: Client) -> tuple[Filling[StagedWriter]]:
    """What events prepare for the adapters below them (``Unit.prepares``): their part of a
    change's commit (``STAGED_WRITES``, the accounts' key: the accounts' and the sessions'
    repositories write a change's security events in its commit)."""
    return (STAGED_WRITES(staged_writer()),)


def webhook_policy(settings: Settings) -> WebhookPolicy:
    events = settings.group(EventsSettings)
    return WebhookPolicy(
        local=settings.service.app_profile == "local",
        retry=RetryPolicy(
            first=timedelta(seconds=events.webhook_retry_first),
            window=timedelta(seconds=events.webhook_retry_window),
        ),
        timeout=events.webhook_timeout,
        cache_ttl=settings.group(HookSettings).webhook_cache_ttl,
        sweep_interval=events.webhook_sweep_interval,
    )


def webhook_outbox(
    own: EventsAdapters, policy: WebhookPolicy, *, platform: Platform, queue: JobQueue
) -> WebhookOutbox:
    """The outbox the audit log writes to; the webhooks' objects share its cache."""
    cache = EndpointCache(own.webhook_endpoints, platform.clock, policy.cache_ttl)
    return WebhookOutbox(cache=cache, queue=queue, clock=platform.clock, lease=policy.lease)


def metered(audit: AuditLog, metrics: Metrics) -> AuditLog:
    """``audit``, counting sign-ins, login throttle refusals and refresh reuse (sign-in's
    events, counted by sign-in's ``MeteredAuditLog``) when metrics are on."""
    if metrics is NO_METRICS:
        return audit
    from infrastructure.signin.metered_audit import MeteredAuditLog  # noqa: PLC0415

    return MeteredAuditLog(audit, metrics)


def stored_audit(
    own: EventsAdapters,
    *,
    platform: Platform,
    outbox: WebhookOutbox,
    ends: SessionEnds | None = None,
    outboxes: Sequence[EventOutbox] = (),
) -> AuditLog:
    """The audit log that also stores each event where the account's owner and the admins
    read it, with its webhook deliveries, in the change's own commit; ``ends``: the
    back-channel logout tokens of an event that ends sessions, in that commit too;
    ``outboxes``: the units' that send events on, their entries in that commit too."""
    audited = metered(platform.audit, platform.metrics)
    return StoringAuditLog(
        audited, own.security_events, platform.clock, outbox, ends, outboxes=outboxes
    )


def audit_trail(
    own: EventsAdapters,
    platform: Platform,
    webhooks: WebhookParts,
    *,
    queue: JobQueue,
    ends: SessionEnds | None,
    outboxes: Sequence[EventOutbox] = (),
) -> AuditLog:
    """Every audit event is also stored where the account's owner and the admins read it,
    with its webhook deliveries, and a change to how an account signs in, or a sign-in from a
    new device, queues its notice (mail's); each carries the address and user agent of the
    request that caused it."""
    stored = stored_audit(
        own, platform=platform, outbox=webhooks.outbox, ends=ends, outboxes=outboxes
    )
    return WithRequestOrigin(
        inner=NotifyingAuditLog(log=stored, queue=queue, clock=platform.clock),
        origin=request_origin,
        acting=REQUEST_ACTING.current,  # support access: the admin acts, not the person
    )


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
        webhook_deliveries=own.webhook_deliveries,
        cache=outbox.cache,
        box=box_key,
        queue=queue,
        clock=platform.clock,
        policy=policy,
    )


def event_history(own: EventsAdapters, *, users: UserRepository) -> EventHistory:
    """``users``: whose events an admin lists by id."""
    return EventHistory(events=own.security_events, users=users)


# The webhook deliveries' channels other than the endpoints', by kind (the provider's
# back-channel logout tokens).
DeliveryChannels = Mapping[str, DeliveryChannel]


@dataclass(frozen=True, kw_only=True)
class WebhookParts:
    """What the webhooks' deliveries go through, made before the audit log that writes to it
    (``lends_early``)."""

    policy: WebhookPolicy
    outbox: WebhookOutbox
    queue: JobQueue  # the webhooks' own (docs/reference/jobs.md)


# The webhooks' parts and the deliveries' other channels (the provider's), offered to the
# units that lend early after events and to the core's ``runs``.
WEBHOOK_PARTS = Slot[WebhookParts]("the webhooks' parts")
DELIVERY_CHANNELS = Slot[DeliveryChannels]("the deliveries' channels")
# What the audit trail hands every session's end to (the provider's back-channel logout),
# lent early by a unit after events: the last one, none if no unit lends one.
SESSION_ENDS = Slot[SessionEnds]("the sessions' ends")
# What stored events are sent on to besides the webhooks (an org's log streams, shared
# signals), lent early by units after events: each one's entries go in the event's commit
# (docs/decisions/0942-one-outbox-for-the-units-that-send-events.md).
EVENT_OUTBOXES = Slot[EventOutbox]("the units' event outboxes")


def lends_early(own: EventsAdapters, kernel: Kernel) -> Lent:
    """What events lend before the audit trail is made: the webhooks' parts, offered (on the
    webhooks' own queue, the kernel's if the platform has none), and the maker of the audit
    trail, which reads the sessions' ends and the event outboxes the units after events
    lent early."""
    policy = webhook_policy(kernel.settings)
    queue = kernel.queue if kernel.webhook_queue is None else kernel.webhook_queue
    parts = WebhookParts(
        policy=policy,
        outbox=webhook_outbox(own, policy, platform=kernel.platform, queue=queue),
        queue=queue,
    )

    def trail(lent: Kernel) -> AuditLog:
        ends = lent.filled(SESSION_ENDS)
        return audit_trail(
            own,
            lent.platform,
            parts,
            queue=lent.queue,
            ends=ends[-1] if ends else None,
            outboxes=lent.filled(EVENT_OUTBOXES),
        )

    return Lent(fills=(AUDIT_TRAILS(trail),), offers=(WEBHOOK_PARTS(parts),))


def runs(own: EventsAdapters, kernel: Kernel) -> Lent:
    """What events run once the core's loans are made: the webhooks' jobs, the sweep of the
    deliveries due and its timer (WEBHOOK_SWEEP_INTERVAL)."""
    parts = kernel.offered(WEBHOOK_PARTS)
    sweeper = delivery_sweeper(own, platform=kernel.platform, queue=parts.queue)
    jobs = webhook_handlers(
        own,
        parts.policy,
        users=kernel.adapters_of(AccountsAdapters).users,
        box_key=kernel.adapters_of(SigninAdapters).secret_box,
        platform=kernel.platform,
        outbox=parts.outbox,
        queue=kernel.queue,
        channels=kernel.offered(DELIVERY_CHANNELS),
    )
    return Lent(
        fills=(
            JOBS(*jobs.items()),
            SWEEPS(("webhooks", sweeper.sweep)),
            TIMERS(lambda: start_sweeper(own, parts.policy, sweeper)),
        )
    )


def wire(
    own: EventsAdapters,
    parts: WebhookParts,
    *,
    users: UserRepository,
    box_key: SecretBox,
    platform: Platform,
) -> EventServices:
    """The events' use cases; ``users``: whose events an admin lists by id; ``box_key``: what
    seals the endpoints' signing secrets (sign-in's secret box)."""
    return EventServices(
        history=event_history(own, users=users),
        webhooks=webhooks(
            own,
            parts.policy,
            box_key=box_key,
            platform=platform,
            outbox=parts.outbox,
            queue=parts.queue,
        ),
    )


def api() -> Sequence[Blueprint]:
    """The events unit's blueprints of the JSON API, in the order they are registered."""
    from interfaces.http.routes.events import events, webhooks  # noqa: PLC0415 - loaded with the app

    return (events.bp, webhooks.bp)


def pages() -> Pages:
    """The events' pages: the webhooks', the account area's Activity section, and an
    account's events on its admin page."""
    from interfaces.web.accounts.account import ACCOUNT_SECTIONS  # noqa: PLC0415 - loaded with the app
    from interfaces.web.accounts.admin import ADMIN_USER_PARTS  # noqa: PLC0415 - loaded with the app
    from interfaces.web.events import activity, webhooks  # noqa: F401, PLC0415 - loaded with the app
    from interfaces.web.parts import At, Pages  # noqa: PLC0415 - loaded with the app

    return Pages(
        fills=(
            ACCOUNT_SECTIONS(At(50, activity.ACTIVITY)),
            ADMIN_USER_PARTS(activity.user_events),
        ),
    )


# The core unit: its blueprints and pages (its adapters, use cases: ``build``, ``wire`` above).
def built(own: EventsAdapters, kernel: Kernel) -> Built:
    """The events' use cases (``wire``), on the webhooks' parts the kernel offers and the
    accounts' and sign-in's adapters it holds."""
    services = wire(
        own,
        kernel.offered(WEBHOOK_PARTS),
        users=kernel.adapters_of(AccountsAdapters).users,
        box_key=kernel.adapters_of(SigninAdapters).secret_box,
        platform=kernel.platform,
    )
    return Built(services=(services,))


UNIT = Unit[EventsAdapters](
    name="events",
    makes=build,
    prepares=prepares,
    build=built,
    runs=runs,
    optional=False,
    settings=(EventsSettings,),
    lends_early=lends_early,
    api=api,
    pages=pages,
)
