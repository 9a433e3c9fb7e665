from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema

from application.events.security_events import EVENT_TYPES
from domain.events.webhooks import MAX_DESCRIPTION_LENGTH, MAX_EVENTS, Delivery
from domain.events.webhooks import WebhookEndpoint as Endpoint
from domain.public_urls import MAX_URL_LENGTH
from interfaces.http.schemas.common import URL_PATTERN, PageOut, Schema, Strict, single_line


def _url(schema: dict[str, Any]) -> None:
    schema["pattern"] = URL_PATTERN


# Checked by the use case (422 unknown_event_type on "events"); listed here for clients.
EventName = Annotated[str, WithJsonSchema({"type": "string", "enum": list(EVENT_TYPES)})]


class WebhookCreate(Strict):
    url: str = Field(
        max_length=MAX_URL_LENGTH,
        description="https and a public host (http and loopback in the local profile only)",
        json_schema_extra=_url,
    )
    events: list[EventName] = Field(
        min_length=1, max_length=MAX_EVENTS, description="The event types delivered"
    )
    description: str | None = Field(
        default=None,
        max_length=MAX_DESCRIPTION_LENGTH,
        description="Shown to admins; left out or null: none",
        json_schema_extra=single_line,
    )


class WebhookOut(Schema):
    id: str
    url: str
    events: list[str]
    description: str
    enabled: bool = Field(description="False once it failed for 24 hours straight")
    failing_since: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, endpoint: Endpoint) -> WebhookOut:
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            events=list(endpoint.events),
            description=endpoint.description,
            enabled=endpoint.enabled,
            failing_since=endpoint.failing_since,
            created_at=endpoint.created_at,
        )


class WebhookCreated(WebhookOut):
    secret: str = Field(
        description="whsec_…: verifies the signatures; shown here only", examples=["whsec_…"]
    )


class WebhookList(Schema):
    items: list[WebhookOut]


class AttemptOut(Schema):
    time: datetime
    status_code: int | None = Field(description="Null when nothing answered")
    error: str | None = Field(description="Why nothing answered, e.g. ConnectTimeout")


class DeliveryOut(Schema):
    id: str = Field(description="The webhook-id of every attempt")
    event_type: str
    event_id: str
    status: Literal["pending", "succeeded", "failed", "dead"]
    created_at: datetime
    next_attempt_at: datetime | None = Field(description="When pending")
    attempts: list[AttemptOut]
    payload: str = Field(description="The body, as sent")

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        pending = delivery.status.value == "pending"
        return cls(
            id=delivery.id,
            event_type=delivery.event_type,
            event_id=delivery.event_id,
            status=delivery.status.value,
            created_at=delivery.created_at,
            next_attempt_at=delivery.next_attempt_at if pending else None,
            attempts=[
                AttemptOut(time=a.at, status_code=a.status_code, error=a.error)
                for a in delivery.attempts
            ],
            payload=delivery.payload,
        )


class DeliveryPage(PageOut[DeliveryOut]):
    pass
