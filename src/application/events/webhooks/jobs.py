"""The background work: the ``deliver_webhook`` job, the sweeper's pass that queues what is due
again (retries, what a crash left unsent), and the admins' mail when an endpoint is disabled."""

from __future__ import annotations

import logging

from application.accounts.accounts import UserRepository as Users
from application.events.webhooks.delivery import DeliveryPorts, deliver
from application.events.webhooks.outbox import FIRST, queue_delivery
from application.events.webhooks.ports import WebhookDeliveries, WebhookPolicy
from application.mail.sending import MailKind, queue_mail
from application.ports import Clock, Job, JobQueue
from domain.events.webhooks import WebhookEndpoint
from domain.ids import is_id

log = logging.getLogger("firegate.webhooks")


SWEEP_BATCH = 200  # due deliveries queued per sweep at most

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
