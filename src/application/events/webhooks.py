"""Webhooks: endpoints an admin registers, and the events delivered to them, signed per the
Standard Webhooks specification (docs/reference/webhooks.md).

Each delivery is written to an outbox (``WebhookDeliveries``) in the same Firestore commit
as its security event, then sent by a ``deliver_webhook`` job; a sweeper queues again what
is due and was not sent (a crash, a retry's time). Retries, the cache of endpoints and what
a crash does: docs/decisions/0175-webhooks-outbox.md.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

from application.events.security_events import EVENT_TYPES
from application.identity.accounts import UserRepository as Users
from application.identity.admin import require_admin
from application.identity.authentication import Actor
from application.jobs import JobHandler
from application.mail.sending import MailKind, queue_mail
from application.pagination import (
    Page,
    decode_cursor,
    paginate,
    parse_time_position,
    time_position,
)
from application.ports import Clock, Job, JobQueue, SecretBox
from domain.errors import Conflict, FieldError, InvalidInput, NotFound, Unavailable
from domain.ids import is_id, new_id
from domain.security_events import SecurityEvent
from domain.text import has_control, has_direction_control
from domain.webhooks import (
    MAX_DESCRIPTION_LENGTH,
    MAX_EVENTS,
    Attempt,
    Delivery,
    DeliveryStatus,
    RetryPolicy,
    WebhookEndpoint,
    check_url,
    new_message_id,
    new_secret,
    public_address,
    signed_headers,
)

log = logging.getLogger("firegate.webhooks")

DELIVER_WEBHOOK = "deliver_webhook"
SWEEP_BATCH = 200  # due deliveries queued per sweep at most


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


class HostResolver(Protocol):
    def addresses(self, host: str) -> list[str]:
        """Every address ``host`` resolves to (an address resolves to itself); [] if none."""
        ...


class WebhookUnreachable(Exception):
    """No answer: refused, timed out, a TLS failure, an unreadable answer."""


class WebhookSender(Protocol):
    def post(self, url: str, body: str, headers: dict[str, str], address: str | None = None) -> int:
        """POST ``body`` as JSON without following redirects; the status code, or
        WebhookUnreachable. With ``address``, the connection goes to that address (the one
        the host was checked to resolve to) and the host is not resolved again; the Host
        header, TLS's server name and the certificate's check stay the URL's host."""
        ...


class Scheduler(Protocol):
    def every(self, seconds: float, task: Callable[[], None]) -> None:
        """Run ``task`` now, then every ``seconds``, in the background of this process."""
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


# -- what each event gives ---------------------------------------------------------------------


def payload(event: SecurityEvent) -> str:
    """The body: ids, type, time and outcome; never an address, a secret or a token."""
    return json.dumps(
        {
            "type": event.type,
            "timestamp": event.at.isoformat().replace("+00:00", "Z"),
            "data": {
                "event_id": event.id,
                "user_id": event.user_id,
                "actor_id": event.actor_id,
                "outcome": event.outcome,
            },
        },
        separators=(",", ":"),
    )


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


class WebhookOutbox:
    """The ``Outbox`` of ``StoringAuditLog``: the deliveries an event makes, queued once
    they are stored. Each is written reserved for the job queued with it for ``lease``
    (its next attempt is then): the sweeper leaves it alone meanwhile, and takes it after,
    should that job be lost (a crash, a queue that refused it)."""

    def __init__(
        self, cache: EndpointCache, queue: JobQueue, clock: Clock, lease: timedelta
    ) -> None:
        self.cache, self._queue, self._clock, self._lease = cache, queue, clock, lease

    def deliveries(self, event: SecurityEvent) -> list[Delivery]:
        """The event's deliveries; none when the endpoints cannot be read (the event is
        stored all the same, and this logged)."""
        try:
            endpoints = [e for e in self.cache.all() if e.wants(event.type)]
        except Exception as error:
            log.warning(
                "webhook endpoints not read: %s not delivered (%s)",
                event.type,
                type(error).__name__,
            )
            return []
        if not endpoints:
            return []
        body, now = payload(event), self._clock.now()
        return [
            Delivery(
                id=new_message_id(),
                endpoint_id=endpoint.id,
                event_type=event.type,
                event_id=event.id,
                payload=body,
                created_at=now,
                next_attempt_at=now + self._lease,
                retry_since=now,
            )
            for endpoint in endpoints
        ]

    def stored(self, deliveries: Sequence[Delivery]) -> None:
        for delivery in deliveries:
            queue_delivery(self._queue, delivery.id, first=True)


FIRST = "first:"  # the subject's prefix for the job queued with the delivery's commit


def queue_delivery(queue: JobQueue, delivery_id: str, *, first: bool = False) -> bool:
    """Queue one attempt; only the ``first`` job, queued when the delivery was written, may
    use its reservation: any other claims it first."""
    try:
        queue.enqueue(Job(kind=DELIVER_WEBHOOK, subject=(FIRST if first else "") + delivery_id))
    except Exception:  # the sweeper queues it again (docs/decisions/0175-webhooks-outbox.md)
        log.warning("webhook delivery %s not queued; the sweeper will", delivery_id)
        return False
    return True


# -- delivering --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryPorts:
    deliveries: WebhookDeliveries
    cache: EndpointCache
    endpoints: WebhookEndpoints
    box: SecretBox
    resolver: HostResolver
    sender: WebhookSender
    clock: Clock
    on_disabled: Callable[[WebhookEndpoint], None]


def _public_address(url: str, resolver: HostResolver) -> tuple[str | None, str | None]:
    """The address to call ``url``'s host at, or why it may not be called: it resolves to no
    address, or to one that is not public (docs/security.md, "Webhooks"). The sender connects
    to this very address, so a host that answers DNS again with another (DNS rebinding)
    is not called there."""
    host = urlsplit(url).hostname or ""
    addresses = resolver.addresses(host)
    if not addresses:
        return None, "host_not_resolved"
    if not all(public_address(address) for address in addresses):
        return None, "not_public_address"
    return addresses[0], None


def _attempt(
    delivery: Delivery,
    endpoint: WebhookEndpoint,
    ports: DeliveryPorts,
    policy: WebhookPolicy,
    until: datetime,
) -> Attempt | None:
    """One attempt, or None when too little of the claim (``until``) is left for the POST's
    whole deadline: then nothing is sent, and whoever claims it next sends it."""
    address = None
    if not policy.local:
        address, refused = _public_address(endpoint.url, ports.resolver)
        if refused is not None:
            return Attempt(ports.clock.now(), None, refused)
    try:
        secret = ports.box.open(endpoint.sealed_secret)
    except Unavailable:  # MFA_ENCRYPTION_KEY changed: an operator's problem, recorded
        log.error("the secret of webhook endpoint %s cannot be opened", endpoint.id)
        return Attempt(ports.clock.now(), None, "secret_unreadable")
    if ports.clock.now() + policy.deadline >= until:  # a slow resolver, a long wait
        log.warning("webhook delivery %s left to its next claim: its claim ends", delivery.id)
        return None
    headers = signed_headers(secret, delivery.id, ports.clock.now(), delivery.payload)
    try:
        status = ports.sender.post(endpoint.url, delivery.payload, headers, address)
    except WebhookUnreachable as error:
        return Attempt(ports.clock.now(), None, str(error)[:200] or "unreachable")
    return Attempt(ports.clock.now(), status)


def deliver(
    delivery_id: str, *, ports: DeliveryPorts, policy: WebhookPolicy, first: bool = False
) -> Delivery | None:
    """One attempt at a due delivery (none if it is not due: sent, or claimed by another
    worker); records it, schedules the next or dead-letters it, and keeps the endpoint's
    health: one failing for the whole retry window is disabled."""
    now = ports.clock.now()
    delivery = ports.deliveries.get(delivery_id)
    if delivery is not None and first and delivery.reserved(now):
        until = delivery.next_attempt_at
    else:
        # Not the job queued with it, or too late for it: claimed first, so one worker sends
        # it (a claim looks like the reservation: only the first job may trust that).
        until = now + policy.lease
        delivery = ports.deliveries.claim(delivery_id, now, until)
    if delivery is None:
        return None
    endpoint = ports.cache.get(delivery.endpoint_id)
    if endpoint is None or not endpoint.enabled:
        stopped = delivery.stopped(
            now, "endpoint_deleted" if endpoint is None else "endpoint_disabled"
        )
        ports.deliveries.save(stopped)
        return stopped
    # The POST starts with at least its deadline left of the claim and the sender cuts it at
    # the deadline: no other worker can claim the delivery while it is in flight.
    attempt = _attempt(delivery, endpoint, ports, policy, until)
    if attempt is None:
        return None
    done = delivery.after(attempt, policy.retry)
    ports.deliveries.save(done)
    _keep_health(endpoint, attempt, done, ports=ports, window=policy.retry.window)
    return done


def _keep_health(
    endpoint: WebhookEndpoint,
    attempt: Attempt,
    done: Delivery,
    *,
    ports: DeliveryPorts,
    window: timedelta,
) -> None:
    """Marks since when the endpoint fails, clears it on a success, and disables the endpoint
    once it has failed for the whole retry window: by the clock, or because a delivery whose
    every attempt failed (the endpoint failing since before its window began) is dead, its
    last retry a little short of the window's end."""
    if attempt.succeeded:
        if endpoint.failing_since is not None:
            ports.endpoints.set_health(endpoint.id, True, None)
            ports.cache.drop()
        return
    since = endpoint.failing_since or attempt.at
    dead_throughout = done.status is DeliveryStatus.DEAD and since <= done.retry_since
    if endpoint.failing_since is None and not dead_throughout:
        ports.endpoints.set_health(endpoint.id, True, attempt.at)
        ports.cache.drop()
    elif attempt.at - since >= window or dead_throughout:
        ports.endpoints.set_health(endpoint.id, False, since)
        ports.cache.drop()
        log.warning("webhook endpoint %s disabled: failing since %s", endpoint.id, since)
        ports.on_disabled(replace(endpoint, enabled=False))


MAX_ADMINS_MAILED = 50


def mail_admins(endpoint: WebhookEndpoint, *, users: Users, queue: JobQueue) -> None:
    """Tell every admin that ``endpoint`` was disabled (the mail job; docs/reference/email.md)."""
    for admin in users.list_admins(MAX_ADMINS_MAILED):
        queue_mail(queue, MailKind.WEBHOOK_DISABLED, admin)


def deliver_job(job: Job, final: bool, *, ports: DeliveryPorts, policy: WebhookPolicy) -> None:
    """The DELIVER_WEBHOOK job. A failed attempt is not the job's failure: the delivery's own
    schedule retries it, through the sweeper."""
    first = job.subject.startswith(FIRST)
    delivery_id = job.subject.removeprefix(FIRST)
    if not is_id(delivery_id):
        log.warning("unreadable webhook job dropped")
        return
    deliver(delivery_id, ports=ports, policy=policy, first=first)


def sweep(*, deliveries: WebhookDeliveries, queue: JobQueue, clock: Clock) -> int:
    """Queue the deliveries that are due: retries, and those a crash left unsent."""
    due = deliveries.due(clock.now(), SWEEP_BATCH)
    return sum(queue_delivery(queue, delivery_id) for delivery_id in due)


# -- what admins do ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateWebhook:
    actor: Actor
    url: str
    events: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class WebhookRef:
    actor: Actor
    webhook_id: str


@dataclass(frozen=True)
class DeliveryQuery:
    actor: Actor
    webhook_id: str
    limit: int
    cursor: str | None = None


@dataclass(frozen=True)
class Resend:
    actor: Actor
    webhook_id: str
    delivery_id: str


@dataclass(frozen=True)
class CreatedWebhook:
    endpoint: WebhookEndpoint
    secret: str  # shown once


def _checked_events(events: Sequence[str]) -> tuple[str, ...]:
    if not events:
        raise InvalidInput.field("events", "Choose at least one event type.", "no_event_types")
    if len(events) > MAX_EVENTS:
        raise InvalidInput.field("events", "Too many event types.", "too_many_event_types")
    unknown = [kind for kind in events if kind not in EVENT_TYPES]
    if unknown:
        raise InvalidInput.field(
            "events", f"Not a known event type: {unknown[0][:64]}.", "unknown_event_type"
        )
    return tuple(dict.fromkeys(events))


def create_webhook(
    cmd: CreateWebhook,
    *,
    endpoints: WebhookEndpoints,
    cache: EndpointCache,
    box: SecretBox,
    clock: Clock,
    policy: WebhookPolicy,
) -> CreatedWebhook:
    require_admin(cmd.actor)
    errors: list[FieldError] = []
    for check in (
        lambda: check_url(cmd.url, local=policy.local),
        lambda: _checked_events(cmd.events),
        lambda: _checked_description(cmd.description),
    ):
        try:
            check()
        except InvalidInput as error:
            errors.extend(error.errors)
    if errors:
        raise InvalidInput(errors=tuple(errors), code=errors[0].code)
    secret = new_secret()
    endpoint = WebhookEndpoint(
        id=new_id(),
        url=cmd.url,
        events=_checked_events(cmd.events),
        description=cmd.description,
        sealed_secret=box.seal(secret),
        created_at=clock.now(),
    )
    endpoints.add(endpoint)
    cache.drop()
    return CreatedWebhook(endpoint, secret)


def _checked_description(description: str) -> None:
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidInput.field("description", "At most 200 characters.", "description_too_long")
    if has_control(description) or has_direction_control(description):
        raise InvalidInput.field(
            "description",
            "Control characters and direction overrides are not allowed.",
            "control_character",
        )


def _endpoint(webhook_id: str, endpoints: WebhookEndpoints) -> WebhookEndpoint:
    endpoint = endpoints.get(webhook_id) if is_id(webhook_id) else None
    if endpoint is None:
        raise NotFound("No such webhook.", code="webhook_not_found")
    return endpoint


def list_webhooks(actor: Actor, *, endpoints: WebhookEndpoints) -> list[WebhookEndpoint]:
    require_admin(actor)
    return endpoints.list_all()


def show_webhook(cmd: WebhookRef, *, endpoints: WebhookEndpoints) -> WebhookEndpoint:
    require_admin(cmd.actor)
    return _endpoint(cmd.webhook_id, endpoints)


def delete_webhook(cmd: WebhookRef, *, endpoints: WebhookEndpoints, cache: EndpointCache) -> None:
    """Its pending deliveries stop at their next attempt (status failed)."""
    require_admin(cmd.actor)
    if not is_id(cmd.webhook_id) or not endpoints.delete(cmd.webhook_id):
        raise NotFound("No such webhook.", code="webhook_not_found")
    cache.drop()


def list_deliveries(
    query: DeliveryQuery, *, endpoints: WebhookEndpoints, deliveries: WebhookDeliveries
) -> Page[Delivery]:
    require_admin(query.actor)
    endpoint = _endpoint(query.webhook_id, endpoints)
    position = decode_cursor(query.cursor)
    before = parse_time_position(position) if position is not None else None
    rows = deliveries.list_page(endpoint.id, before, query.limit + 1)
    last = rows[query.limit - 1] if len(rows) > query.limit else None
    return paginate(rows, query.limit, time_position(last.created_at, last.id) if last else None)


def resend(
    cmd: Resend,
    *,
    endpoints: WebhookEndpoints,
    deliveries: WebhookDeliveries,
    queue: JobQueue,
    clock: Clock,
) -> Delivery:
    """The same delivery (same ``webhook-id``) again now, with a new retry window."""
    require_admin(cmd.actor)
    endpoint = _endpoint(cmd.webhook_id, endpoints)
    delivery = deliveries.get(cmd.delivery_id) if is_id(cmd.delivery_id) else None
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise NotFound("No such delivery.", code="delivery_not_found")
    if not endpoint.enabled:  # its attempts would all be refused: nothing would be sent
        raise Conflict(
            "The webhook is disabled: nothing is sent to it. Register it again once the "
            "receiver works.",
            code="webhook_disabled",
        )
    again = delivery.resent(clock.now())
    deliveries.save(again)
    queue_delivery(queue, again.id)
    return again


# -- wiring (docs/decisions/0042-wiring-per-feature.md) -------------------------------------


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


class WebhookPolicies(Protocol):
    @property
    def webhook_policy(self) -> WebhookPolicy: ...


@dataclass(frozen=True)
class WebhookServices:
    create: Callable[[CreateWebhook], CreatedWebhook]
    list: Callable[[Actor], list[WebhookEndpoint]]
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
    )
    policy = policies.webhook_policy
    return {
        DELIVER_WEBHOOK: lambda job, final: deliver_job(
            job, final, ports=delivery_ports, policy=policy
        )
    }


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
        create=lambda cmd: create_webhook(
            cmd, endpoints=endpoints, cache=cache, box=secrets, clock=clock, policy=policy
        ),
        list=lambda actor: list_webhooks(actor, endpoints=endpoints),
        show=lambda cmd: show_webhook(cmd, endpoints=endpoints),
        delete=lambda cmd: delete_webhook(cmd, endpoints=endpoints, cache=cache),
        deliveries=lambda query: list_deliveries(query, endpoints=endpoints, deliveries=deliveries),
        resend=lambda cmd: resend(
            cmd, endpoints=endpoints, deliveries=deliveries, queue=queue, clock=clock
        ),
    )
