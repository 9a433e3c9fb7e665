"""The https and Splunk HEC destinations of a log stream: one POST per batch, through the
platform's outbound client, only to a public address outside the local profile, as a
webhook's (docs/reference/log-streams.md, "Destinations")."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from application.log_streams.ports import DestinationDown, StreamRecord
from application.outbound import (
    NOT_HTTPS,
    HostResolver,
    WebhookSender,
    WebhookUnreachable,
    public_address_of,
    status_cause,
)
from domain.standard_webhooks import MESSAGE_PREFIX, signed_headers

HEC_PATH = "/services/collector/event"


@dataclass(frozen=True)
class Post:
    """How one POST goes: the sender, whose hosts must be public (but in ``local``)."""

    sender: WebhookSender
    resolver: HostResolver
    local: bool

    def __call__(self, url: str, body: str, headers: dict[str, str]) -> None:
        address = None
        if not self.local:
            if urlsplit(url).scheme != "https":
                raise DestinationDown(NOT_HTTPS)
            address, refused = public_address_of(url, self.resolver)
            if refused is not None:
                raise DestinationDown(refused)
        try:
            status = self.sender.post(url, body, headers, address)
        except WebhookUnreachable as error:
            raise DestinationDown(error.cause) from None
        if not 200 <= status < 300:
            raise DestinationDown(status_cause(status))


def message_id(records: Sequence[StreamRecord]) -> str:
    """The ``webhook-id`` of a batch: the same records, the same id (a resent batch)."""
    digest = hashlib.sha256("\n".join(r.id for r in records).encode()).hexdigest()
    return MESSAGE_PREFIX + digest[:32]


@dataclass(frozen=True)
class HttpsDestination:
    """POST of the batch as one JSON array, signed per Standard Webhooks with the
    stream's secret."""

    url: str
    secret: str
    post: Post
    now: datetime

    def send(self, records: Sequence[StreamRecord]) -> None:
        body = "[" + ",".join(record.body for record in records) + "]"
        self.post(self.url, body, signed_headers(self.secret, message_id(records), self.now, body))


@dataclass(frozen=True)
class SplunkHecDestination:
    """POST of the batch to the HTTP Event Collector: one ``{"time", "event"}`` object per
    record, concatenated, with ``Authorization: Splunk <token>``."""

    url: str
    token: str
    post: Post

    def send(self, records: Sequence[StreamRecord]) -> None:
        body = "".join(
            '{"time":%s,"event":%s}' % (json.dumps(record.at.timestamp()), record.body)  # noqa: UP031
            for record in records
        )
        endpoint = self.url.rstrip("/") + HEC_PATH
        self.post(endpoint, body, {"Authorization": f"Splunk {self.token}"})
