"""What admins do: register, list, show and delete endpoints, list an endpoint's deliveries
and send one again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from application.accounts.admin import require_admin
from application.events.security_events import EVENT_TYPES
from application.events.webhooks.cache import EndpointCache
from application.events.webhooks.outbox import queue_delivery
from application.events.webhooks.ports import WebhookDeliveries, WebhookEndpoints, WebhookPolicy
from application.pagination import Page, decode_cursor, paginate, parse_time_position, time_position
from application.ports import Clock, JobQueue, SecretBox
from application.signin.authentication import Actor
from domain.errors import Conflict, FieldError, InvalidInput, NotFound
from domain.events.webhooks import MAX_DESCRIPTION_LENGTH, MAX_EVENTS, Delivery, WebhookEndpoint
from domain.ids import is_id, new_id
from domain.public_urls import check_url
from domain.standard_webhooks import new_secret
from domain.text import has_control, has_direction_control


@dataclass(frozen=True)
class CreateWebhook:
    actor: Actor
    url: str
    events: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class ListWebhooks:
    actor: Actor


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


def delivery_page(
    endpoint_id: str, limit: int, cursor: str | None, *, deliveries: WebhookDeliveries
) -> Page[Delivery]:
    """A page of the deliveries to ``endpoint_id`` (a webhook's, or a client's back-channel
    logout tokens), newest first."""
    position = decode_cursor(cursor)
    before = parse_time_position(position) if position is not None else None
    rows = deliveries.list_page(endpoint_id, before, limit + 1)
    last = rows[limit - 1] if len(rows) > limit else None
    return paginate(rows, limit, time_position(last.created_at, last.id) if last else None)


@dataclass(frozen=True, kw_only=True, slots=True)
class Webhooks:
    """What admins do with webhooks. ``cache``: the outbox's copy of the endpoints, dropped
    on a change; ``box``: what seals the endpoints' signing secrets; ``queue``: the webhook
    deliveries' own."""

    endpoints: WebhookEndpoints
    webhook_deliveries: WebhookDeliveries
    cache: EndpointCache
    box: SecretBox
    queue: JobQueue
    clock: Clock
    policy: WebhookPolicy

    def create(self, cmd: CreateWebhook) -> CreatedWebhook:
        require_admin(cmd.actor)
        errors: list[FieldError] = []
        for check in (
            lambda: check_url(cmd.url, local=self.policy.local),
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
            sealed_secret=self.box.seal(secret),
            created_at=self.clock.now(),
        )
        self.endpoints.add(endpoint)
        self.cache.drop()
        return CreatedWebhook(endpoint, secret)

    def list(self, cmd: ListWebhooks) -> list[WebhookEndpoint]:
        require_admin(cmd.actor)
        return self.endpoints.list_all()

    def show(self, cmd: WebhookRef) -> WebhookEndpoint:
        require_admin(cmd.actor)
        return _endpoint(cmd.webhook_id, self.endpoints)

    def delete(self, cmd: WebhookRef) -> None:
        """Its pending deliveries stop at their next attempt (status failed)."""
        require_admin(cmd.actor)
        if not is_id(cmd.webhook_id) or not self.endpoints.delete(cmd.webhook_id):
            raise NotFound("No such webhook.", code="webhook_not_found")
        self.cache.drop()

    def deliveries(self, query: DeliveryQuery) -> Page[Delivery]:
        require_admin(query.actor)
        endpoint = _endpoint(query.webhook_id, self.endpoints)
        return delivery_page(
            endpoint.id, query.limit, query.cursor, deliveries=self.webhook_deliveries
        )

    def resend(self, cmd: Resend) -> Delivery:
        """The same delivery (same ``webhook-id``) again now, with a new retry window."""
        require_admin(cmd.actor)
        endpoint = _endpoint(cmd.webhook_id, self.endpoints)
        delivery = self.webhook_deliveries.get(cmd.delivery_id) if is_id(cmd.delivery_id) else None
        if delivery is None or delivery.endpoint_id != endpoint.id:
            raise NotFound("No such delivery.", code="delivery_not_found")
        if not endpoint.enabled:  # its attempts would all be refused: nothing would be sent
            raise Conflict(
                "The webhook is disabled: nothing is sent to it. Register it again once the "
                "receiver works.",
                code="webhook_disabled",
            )
        again = delivery.resent(self.clock.now())
        self.webhook_deliveries.save(again)
        queue_delivery(self.queue, again.id)
        return again
