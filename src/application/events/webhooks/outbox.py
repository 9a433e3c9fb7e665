"""What each event gives: its deliveries, written to an outbox (``WebhookDeliveries``) in the
same Firestore commit as the security event, and the ``deliver_webhook`` job queued for each
once stored. Retries, the cache of endpoints and what a crash does:
docs/decisions/0175-webhooks-outbox.md.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from application.events.webhooks.cache import EndpointCache
from application.ports import Clock, Job, JobQueue
from domain.events.security_events import SecurityEvent
from domain.events.webhooks import Delivery
from domain.signin.mfa import SSO
from domain.standard_webhooks import new_message_id

log = logging.getLogger("firegate.webhooks")


DELIVER_WEBHOOK = "deliver_webhook"
GUEST_MERGED = "guest.merged"


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
                # An organization's event names it (docs/reference/orgs.md).
                **({"org_id": event.org_id} if event.org_id is not None else {}),
                # A sign-in names its way in, and an org's connection its id.
                **({"method": event.method} if event.method is not None else {}),
                **({"connection_id": event.reason} if event.method == SSO else {}),
                # An org's change its directory or single sign-on made names it.
                **({"via": event.via} if event.via is not None else {}),
                # Support access: the account the admin acted as, on the admin's record, and
                # the minutes granted, on its start (docs/support-access.md).
                **({"subject_id": event.subject_id} if event.subject_id is not None else {}),
                **({"minutes": event.minutes} if event.minutes is not None else {}),
                # A guest merged names the guest and the account it went to (docs/guests.md).
                **(
                    {"from": event.reason, "to": event.user_id}
                    if event.type == GUEST_MERGED
                    else {}
                ),
            },
        },
        separators=(",", ":"),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class WebhookOutbox:
    """The ``Outbox`` of ``StoringAuditLog``: the deliveries an event makes, queued once
    they are stored. Each is written reserved for the job queued with it for ``lease``
    (its next attempt is then): the sweeper leaves it alone meanwhile, and takes it after,
    should that job be lost (a crash, a queue that refused it)."""

    cache: EndpointCache
    queue: JobQueue
    clock: Clock
    lease: timedelta

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
        body, now = payload(event), self.clock.now()
        return [
            Delivery(
                id=new_message_id(),
                endpoint_id=endpoint.id,
                event_type=event.type,
                event_id=event.id,
                payload=body,
                created_at=now,
                next_attempt_at=now + self.lease,
                retry_since=now,
            )
            for endpoint in endpoints
        ]

    def stored(self, deliveries: Sequence[Delivery]) -> None:
        for delivery in deliveries:
            queue_delivery(self.queue, delivery.id, first=True)


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
