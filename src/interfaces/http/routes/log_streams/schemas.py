"""An org's log streams: request and response bodies (docs/reference/log-streams.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from application.log_streams.streams import LinkMade, LinkView, StreamMade
from domain.log_streams.streams import LogStream, StreamDelivery
from interfaces.http.schemas.common import Schema

Kind = Literal["https", "splunk_hec", "syslog", "pubsub", "gcs"]
Format = Literal["ocsf", "firegate"]


class StreamIn(Schema):
    """``kind`` and ``format``, and the kind's own fields, each required by its kind and
    refused (422 ``field_not_allowed``) by any other."""

    kind: Kind
    format: Format
    url: str | None = Field(None, description="https and splunk_hec: where to POST")
    token: str | None = Field(None, description="splunk_hec: the HEC token (never shown back)")
    host: str | None = Field(None, description="syslog: the TLS receiver's host")
    port: int | None = Field(None, description="syslog: its port")
    topic: str | None = Field(None, description="pubsub: projects/PROJECT/topics/TOPIC")
    bucket: str | None = Field(None, description="gcs: the bucket's name")


class StreamOut(Schema):
    id: str
    org_id: str
    kind: Kind
    format: Format
    url: str | None = None
    host: str | None = None
    port: int | None = None
    topic: str | None = None
    bucket: str | None = None
    state: Literal["active", "paused"]
    created_at: datetime
    paused_at: datetime | None
    failing_since: datetime | None
    retry_at: datetime | None
    last_delivery_at: datetime | None
    last_delivery_ok: bool | None

    @classmethod
    def of(cls, stream: LogStream) -> StreamOut:
        health = stream.health
        return cls.model_validate(
            {
                "id": stream.id,
                "org_id": stream.org_id,
                "kind": stream.kind.value,
                "format": stream.format.value,
                **stream.target,
                "state": stream.state.value,
                "created_at": stream.created_at,
                "paused_at": stream.paused_at,
                "failing_since": health.failing_since,
                "retry_at": health.retry_at,
                "last_delivery_at": health.last_delivery_at,
                "last_delivery_ok": health.last_delivery_ok,
            }
        )


class StreamMadeOut(StreamOut):
    secret: str | None = Field(
        None, description="https: the signing secret (Standard Webhooks), shown this once"
    )

    @classmethod
    def made(cls, made: StreamMade) -> StreamMadeOut:
        return cls.model_validate({**StreamOut.of(made.stream).model_dump(), "secret": made.secret})


class StreamList(Schema):
    items: list[StreamOut]


class DeliveryOut(Schema):
    id: str
    at: datetime
    events: int
    ok: bool
    reason: str | None
    test: bool

    @classmethod
    def of(cls, delivery: StreamDelivery) -> DeliveryOut:
        return cls(
            id=delivery.id,
            at=delivery.at,
            events=delivery.events,
            ok=delivery.ok,
            reason=delivery.reason,
            test=delivery.test,
        )


class DeliveryList(Schema):
    items: list[DeliveryOut]


class LinkOut(Schema):
    url: str = Field(description="Holds the link's token: shown this once")
    expires_at: datetime

    @classmethod
    def of(cls, made: LinkMade) -> LinkOut:
        return cls(url=made.url, expires_at=made.expires_at)


class LinkQuery(Schema):
    token: str = Field(max_length=128)


class LinkViewOut(Schema):
    org_name: str
    expires_at: datetime

    @classmethod
    def of(cls, view: LinkView) -> LinkViewOut:
        return cls(org_name=view.org_name, expires_at=view.expires_at)
