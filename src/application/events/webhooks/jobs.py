"""The background work besides the ``deliver_webhook`` job (``WebhookDelivery.run``): the
sweeper's pass that queues what is due again (retries, what a crash left unsent), and the
admins' mail when an endpoint is disabled."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from application.accounts.accounts import UserRepository as Users
from application.events.webhooks.outbox import queue_delivery
from application.events.webhooks.ports import WebhookDeliveries
from application.mail.sending import MailKind, queue_mail
from application.ports import Clock, JobQueue
from domain.events.webhooks import WebhookEndpoint

log = logging.getLogger("firegate.webhooks")


SWEEP_BATCH = 200  # due deliveries queued per sweep at most

MAX_ADMINS_MAILED = 50


@dataclass(frozen=True, kw_only=True, slots=True)
class DisabledEndpointMail:
    """What follows an endpoint disabled for failing: every admin is told (the mail job;
    docs/reference/email.md)."""

    users: Users
    queue: JobQueue

    def mail_admins(self, endpoint: WebhookEndpoint) -> None:
        for admin in self.users.list_admins(MAX_ADMINS_MAILED):
            queue_mail(self.queue, MailKind.WEBHOOK_DISABLED, admin)


@dataclass(frozen=True, kw_only=True, slots=True)
class DeliverySweeper:
    """The sweeper's pass, which each process runs every ``sweep_interval`` seconds."""

    deliveries: WebhookDeliveries
    queue: JobQueue
    clock: Clock

    def sweep(self) -> int:
        """Queue the deliveries that are due: retries, and those a crash left unsent; how
        many were queued."""
        due = self.deliveries.due(self.clock.now(), SWEEP_BATCH)
        return sum(queue_delivery(self.queue, delivery_id) for delivery_id in due)
