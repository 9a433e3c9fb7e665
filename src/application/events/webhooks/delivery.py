"""Delivering: one attempt at a due delivery, signed per the Standard Webhooks specification
(docs/reference/webhooks.md), sent only to a public address, and the endpoint's health kept."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import urlsplit

from application.events.webhooks.cache import EndpointCache
from application.events.webhooks.ports import (
    DeliveryChannel,
    HostResolver,
    WebhookDeliveries,
    WebhookEndpoints,
    WebhookPolicy,
    WebhookSender,
    WebhookUnreachable,
)
from application.metrics import WEBHOOK_ATTEMPTS, WEBHOOK_DELAY
from application.ports import NO_METRICS, Clock, Metrics, SecretBox
from domain.errors import Unavailable
from domain.events.webhooks import (
    Attempt,
    Delivery,
    DeliveryStatus,
    WebhookEndpoint,
    public_address,
    signed_headers,
)

log = logging.getLogger("firegate.webhooks")


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
    metrics: Metrics = NO_METRICS
    # Deliveries that go elsewhere, by event type (back-channel logout: docs/reference/oauth.md)
    channels: Mapping[str, DeliveryChannel] = field(default_factory=dict)


def public_address_of(url: str, resolver: HostResolver) -> tuple[str | None, str | None]:
    """The address to call ``url``'s host at, or why it may not be called: it resolves to no
    address, or to one that is not public (docs/security.md, "Webhooks"). The sender connects
    to this very address, so a host that answers DNS again with another (DNS rebinding)
    is not called there. Whatever else firegate fetches at an address it is given goes
    through this check too (an IdP's metadata, application/sso/connections.py)."""
    host = urlsplit(url).hostname or ""
    addresses = resolver.addresses(host)
    if not addresses:
        return None, "host_not_resolved"
    if not all(public_address(address) for address in addresses):
        return None, "not_public_address"
    return addresses[0], None


Message = tuple[str, dict[str, str]]  # the body and the headers of one attempt


def _attempt(
    url: str,
    message: Callable[[], Message | Attempt],
    ports: DeliveryPorts,
    policy: WebhookPolicy,
    until: datetime,
) -> Attempt | None:
    """One attempt, or None when too little of the claim (``until``) is left for the POST's
    whole deadline: then nothing is sent, and whoever claims it next sends it. ``message``
    makes what is sent, or the attempt that failed making it."""
    address = None
    if not policy.local:
        if urlsplit(url).scheme != "https":  # a client's URI is checked here, not registered
            return Attempt(ports.clock.now(), None, "not_https")
        address, refused = public_address_of(url, ports.resolver)
        if refused is not None:
            return Attempt(ports.clock.now(), None, refused)
    made = message()
    if isinstance(made, Attempt):
        return made
    if ports.clock.now() + policy.deadline >= until:  # a slow resolver, a long wait
        log.warning("webhook delivery left to its next claim: its claim ends")
        return None
    body, headers = made
    try:
        status = ports.sender.post(url, body, headers, address)
    except WebhookUnreachable as error:
        return Attempt(ports.clock.now(), None, str(error)[:200] or "unreachable")
    return Attempt(ports.clock.now(), status)


def _signed(
    delivery: Delivery, endpoint: WebhookEndpoint, ports: DeliveryPorts
) -> Message | Attempt:
    try:
        secret = ports.box.open(endpoint.sealed_secret)
    except Unavailable:  # MFA_ENCRYPTION_KEY changed: an operator's problem, recorded
        log.error("the secret of webhook endpoint %s cannot be opened", endpoint.id)
        return Attempt(ports.clock.now(), None, "secret_unreadable")
    return delivery.payload, signed_headers(
        secret, delivery.id, ports.clock.now(), delivery.payload
    )


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
    channel = ports.channels.get(delivery.event_type)
    if channel is not None:
        return _deliver_elsewhere(delivery, channel, ports, policy, until)
    endpoint = ports.cache.get(delivery.endpoint_id)
    if endpoint is None or not endpoint.enabled:
        return _stopped(
            delivery, "endpoint_deleted" if endpoint is None else "endpoint_disabled", ports
        )
    # The POST starts with at least its deadline left of the claim and the sender cuts it at
    # the deadline: no other worker can claim the delivery while it is in flight.
    attempt = _attempt(
        endpoint.url, partial(_signed, delivery, endpoint, ports), ports, policy, until
    )
    if attempt is None:
        return None
    done = _recorded(delivery, attempt, ports, policy)
    _keep_health(endpoint, attempt, done, ports=ports, window=policy.retry.window)
    return done


def _deliver_elsewhere(
    delivery: Delivery,
    channel: DeliveryChannel,
    ports: DeliveryPorts,
    policy: WebhookPolicy,
    until: datetime,
) -> Delivery | None:
    """A delivery of a channel's: the same attempt and schedule, no endpoint's health."""
    target = channel.target(delivery)
    if isinstance(target, str):
        return _stopped(delivery, target, ports)
    attempt = _attempt(target.url, lambda: (target.body, target.headers), ports, policy, until)
    return None if attempt is None else _recorded(delivery, attempt, ports, policy)


def _stopped(delivery: Delivery, reason: str, ports: DeliveryPorts) -> Delivery:
    stopped = delivery.stopped(ports.clock.now(), reason)
    ports.deliveries.save(stopped)
    return stopped


def _recorded(
    delivery: Delivery, attempt: Attempt, ports: DeliveryPorts, policy: WebhookPolicy
) -> Delivery:
    outcome = "succeeded" if attempt.succeeded else "failed"
    ports.metrics.add(WEBHOOK_ATTEMPTS, outcome=outcome)
    delay = (attempt.at - delivery.created_at).total_seconds()
    ports.metrics.observe(WEBHOOK_DELAY, max(delay, 0.0))
    done = delivery.after(attempt, policy.retry)
    ports.deliveries.save(done)
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
