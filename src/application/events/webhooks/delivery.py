"""Delivering: one attempt at a due delivery, signed per the Standard Webhooks specification
(docs/reference/webhooks.md), sent only to a public address, and the endpoint's health kept."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from urllib.parse import urlsplit

from application.events.webhooks.cache import EndpointCache
from application.events.webhooks.outbox import FIRST
from application.events.webhooks.ports import (
    DeliveryChannel,
    WebhookDeliveries,
    WebhookEndpoints,
    WebhookPolicy,
)
from application.metrics import WEBHOOK_ATTEMPTS, WEBHOOK_DELAY
from application.outbound import (
    NOT_HTTPS,
    HostResolver,
    WebhookSender,
    WebhookUnreachable,
    public_address_of,
)
from application.ports import NO_METRICS, Clock, Job, Metrics, SecretBox
from domain.errors import Unavailable
from domain.events.webhooks import Attempt, Delivery, DeliveryStatus, WebhookEndpoint
from domain.ids import is_id
from domain.standard_webhooks import signed_headers

log = logging.getLogger("firegate.webhooks")


Message = tuple[str, dict[str, str]]  # the body and the headers of one attempt


class WebhookDelivery:
    """Attempts at due deliveries: the DELIVER_WEBHOOK job. ``cache``: the outbox's copy of
    the endpoints; ``box``: what opens their signing secrets; ``on_disabled``: what follows
    an endpoint disabled for failing (the admins' mail); ``channels``: the deliveries that go
    elsewhere than to an endpoint, by event type (back-channel logout:
    docs/reference/oauth.md)."""

    def __init__(
        self,
        *,
        deliveries: WebhookDeliveries,
        cache: EndpointCache,
        endpoints: WebhookEndpoints,
        box: SecretBox,
        resolver: HostResolver,
        sender: WebhookSender,
        clock: Clock,
        policy: WebhookPolicy,
        on_disabled: Callable[[WebhookEndpoint], None],
        metrics: Metrics = NO_METRICS,
        channels: Mapping[str, DeliveryChannel] | None = None,
    ) -> None:
        self._deliveries, self._cache, self._endpoints = deliveries, cache, endpoints
        self._box, self._resolver, self._sender = box, resolver, sender
        self._clock, self._policy, self._on_disabled = clock, policy, on_disabled
        self._metrics, self._channels = metrics, dict(channels or {})

    def run(self, job: Job, final: bool) -> None:
        """The DELIVER_WEBHOOK job. A failed attempt is not the job's failure: the delivery's
        own schedule retries it, through the sweeper."""
        first = job.subject.startswith(FIRST)
        delivery_id = job.subject.removeprefix(FIRST)
        if not is_id(delivery_id):
            log.warning("unreadable webhook job dropped")
            return
        self.deliver(delivery_id, first=first)

    def deliver(self, delivery_id: str, *, first: bool = False) -> Delivery | None:
        """One attempt at a due delivery (none if it is not due: sent, or claimed by another
        worker); records it, schedules the next or dead-letters it, and keeps the endpoint's
        health: one failing for the whole retry window is disabled."""
        now = self._clock.now()
        delivery = self._deliveries.get(delivery_id)
        if delivery is not None and first and delivery.reserved(now):
            until = delivery.next_attempt_at
        else:
            # Not the job queued with it, or too late for it: claimed first, so one worker
            # sends it (a claim looks like the reservation: only the first job may trust that).
            until = now + self._policy.lease
            delivery = self._deliveries.claim(delivery_id, now, until)
        if delivery is None:
            return None
        channel = self._channels.get(delivery.event_type)
        if channel is not None:
            return self._deliver_elsewhere(delivery, channel, until)
        endpoint = self._cache.get(delivery.endpoint_id)
        if endpoint is None or not endpoint.enabled:
            return self._stopped(
                delivery, "endpoint_deleted" if endpoint is None else "endpoint_disabled"
            )
        # The POST starts with at least its deadline left of the claim and the sender cuts it
        # at the deadline: no other worker can claim the delivery while it is in flight.
        attempt = self._attempt(endpoint.url, lambda: self._signed(delivery, endpoint), until)
        if attempt is None:
            return None
        done = self._recorded(delivery, attempt)
        self._keep_health(endpoint, attempt, done)
        return done

    def _attempt(
        self, url: str, message: Callable[[], Message | Attempt], until: datetime
    ) -> Attempt | None:
        """One attempt, or None when too little of the claim (``until``) is left for the
        POST's whole deadline: then nothing is sent, and whoever claims it next sends it.
        ``message`` makes what is sent, or the attempt that failed making it."""
        clock, address = self._clock, None
        if not self._policy.local:
            if urlsplit(url).scheme != "https":  # a client's URI is checked here, not registered
                return Attempt(clock.now(), None, NOT_HTTPS)
            address, refused = public_address_of(url, self._resolver)
            if refused is not None:
                return Attempt(clock.now(), None, refused)
        made = message()
        if isinstance(made, Attempt):
            return made
        if clock.now() + self._policy.deadline >= until:  # a slow resolver, a long wait
            log.warning("webhook delivery left to its next claim: its claim ends")
            return None
        body, headers = made
        try:
            status = self._sender.post(url, body, headers, address)
        except WebhookUnreachable as error:
            return Attempt(clock.now(), None, error.cause[:200])  # application/outbound.py
        return Attempt(clock.now(), status)

    def _signed(self, delivery: Delivery, endpoint: WebhookEndpoint) -> Message | Attempt:
        try:
            secret = self._box.open(endpoint.sealed_secret)
        except Unavailable:  # MFA_ENCRYPTION_KEY changed: an operator's problem, recorded
            log.error("the secret of webhook endpoint %s cannot be opened", endpoint.id)
            return Attempt(self._clock.now(), None, "secret_unreadable")
        return delivery.payload, signed_headers(
            secret, delivery.id, self._clock.now(), delivery.payload
        )

    def _deliver_elsewhere(
        self, delivery: Delivery, channel: DeliveryChannel, until: datetime
    ) -> Delivery | None:
        """A delivery of a channel's: the same attempt and schedule, no endpoint's health."""
        target = channel.target(delivery)
        if isinstance(target, str):
            return self._stopped(delivery, target)
        attempt = self._attempt(target.url, lambda: (target.body, target.headers), until)
        return None if attempt is None else self._recorded(delivery, attempt)

    def _stopped(self, delivery: Delivery, reason: str) -> Delivery:
        stopped = delivery.stopped(self._clock.now(), reason)
        self._deliveries.save(stopped)
        return stopped

    def _recorded(self, delivery: Delivery, attempt: Attempt) -> Delivery:
        outcome = "succeeded" if attempt.succeeded else "failed"
        self._metrics.add(WEBHOOK_ATTEMPTS, outcome=outcome)
        delay = (attempt.at - delivery.created_at).total_seconds()
        self._metrics.observe(WEBHOOK_DELAY, max(delay, 0.0))
        done = delivery.after(attempt, self._policy.retry)
        self._deliveries.save(done)
        return done

    def _keep_health(self, endpoint: WebhookEndpoint, attempt: Attempt, done: Delivery) -> None:
        """Marks since when the endpoint fails, clears it on a success, and disables the
        endpoint once it has failed for the whole retry window: by the clock, or because a
        delivery whose every attempt failed (the endpoint failing since before its window
        began) is dead, its last retry a little short of the window's end."""
        endpoints, cache = self._endpoints, self._cache
        if attempt.succeeded:
            if endpoint.failing_since is not None:
                endpoints.set_health(endpoint.id, True, None)
                cache.drop()
            return
        since = endpoint.failing_since or attempt.at
        dead_throughout = done.status is DeliveryStatus.DEAD and since <= done.retry_since
        if endpoint.failing_since is None and not dead_throughout:
            endpoints.set_health(endpoint.id, True, attempt.at)
            cache.drop()
        elif attempt.at - since >= self._policy.retry.window or dead_throughout:
            endpoints.set_health(endpoint.id, False, since)
            cache.drop()
            log.warning("webhook endpoint %s disabled: failing since %s", endpoint.id, since)
            self._on_disabled(replace(endpoint, enabled=False))
