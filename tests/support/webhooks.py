"""The webhook ports on the fakes, wired as the service wires them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from application.events.security_events import StoringAuditLog
from application.events.webhooks.admin import CreateWebhook, Webhooks
from application.events.webhooks.cache import EndpointCache
from application.events.webhooks.delivery import WebhookDelivery
from application.events.webhooks.jobs import DeliverySweeper
from application.events.webhooks.outbox import DELIVER_WEBHOOK, FIRST, WebhookOutbox
from application.events.webhooks.ports import DeliveryChannel, WebhookPolicy
from application.ports import NO_METRICS, Metrics
from application.signin.authentication import Actor
from domain.events.webhooks import (
    Delivery,
    RetryPolicy,
    WebhookEndpoint,
)
from infrastructure.audit_log import LoggingAuditLog
from infrastructure.signin.secret_box import FernetSecretBox
from tests.fakes.events import (
    FakeSecurityEvents,
    FakeWebhookDeliveries,
    FakeWebhookEndpoints,
    FakeWebhookSender,
)
from tests.fakes.kernel import FakeClock, FakeHostResolver, FakeJobQueue
from tests.support.settings import TEST_MFA_KEY

ADMIN = Actor("admin1", "root", "admin", "s1", datetime(2100, 1, 1, tzinfo=UTC))
BOX = FernetSecretBox(TEST_MFA_KEY)


class Hooks:
    """The webhook ports on fakes, with a clock at the wall clock's time (the Standard
    Webhooks library checks the timestamp against it). ``endpoints``: where the endpoints
    are stored (a fake that fails, for one test)."""

    def __init__(
        self,
        *answers: int | None,
        local: bool = True,
        endpoints: FakeWebhookEndpoints | None = None,
    ) -> None:
        self.clock = FakeClock()
        self.endpoints = FakeWebhookEndpoints() if endpoints is None else endpoints
        self.deliveries = FakeWebhookDeliveries()
        self.events = FakeSecurityEvents(self.deliveries.store, self.deliveries)
        self.queue = FakeJobQueue()
        self.sender = FakeWebhookSender(*answers)
        self.resolver = FakeHostResolver({"hooks.example.com": ["93.184.215.14"]})
        self.policy = WebhookPolicy(
            local=local, retry=RetryPolicy(timedelta(seconds=5), timedelta(hours=24))
        )
        self.cache = EndpointCache(self.endpoints, self.clock, ttl=5)
        self.outbox = WebhookOutbox(
            cache=self.cache, queue=self.queue, clock=self.clock, lease=self.policy.lease
        )
        self.audit = StoringAuditLog(LoggingAuditLog(), self.events, self.clock, self.outbox)
        self.disabled: list[WebhookEndpoint] = []
        # What a test swaps: the delivery is built on them when it runs.
        self.metrics: Metrics = NO_METRICS
        self.channels: dict[str, DeliveryChannel] = {}

    @property
    def webhooks(self) -> Webhooks:
        """The admins' use cases, as the service builds them."""
        return Webhooks(
            endpoints=self.endpoints,
            webhook_deliveries=self.deliveries,
            cache=self.cache,
            box=BOX,
            queue=self.queue,
            clock=self.clock,
            policy=self.policy,
        )

    @property
    def delivery(self) -> WebhookDelivery:
        """The DELIVER_WEBHOOK job's object, on the ports as they are now."""
        return WebhookDelivery(
            deliveries=self.deliveries,
            cache=self.cache,
            endpoints=self.endpoints,
            box=BOX,
            resolver=self.resolver,
            sender=self.sender,
            clock=self.clock,
            policy=self.policy,
            on_disabled=self.disabled.append,
            metrics=self.metrics,
            channels=self.channels,
        )

    @property
    def sweeper(self) -> DeliverySweeper:
        return DeliverySweeper(deliveries=self.deliveries, queue=self.queue, clock=self.clock)

    def create(self, url: str = "https://hooks.example.com/in", *events: str) -> tuple[str, str]:
        created = self.webhooks.create(CreateWebhook(ADMIN, url, events or ("user.created",)))
        return created.endpoint.id, created.secret

    def run_jobs(self) -> list[Delivery | None]:
        jobs, self.queue.jobs = self.queue.jobs, []
        delivery = self.delivery
        return [
            delivery.deliver(job.subject.removeprefix(FIRST), first=job.subject.startswith(FIRST))
            for job in jobs
            if job.kind == DELIVER_WEBHOOK
        ]
