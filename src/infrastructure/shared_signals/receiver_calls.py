"""The SSF receiver's calls to a transmitter and an IdP (docs/reference/ssf-receiver.md), sent
as a webhook is (docs/security.md, "Webhooks"): outside the local profile only over https to
a host whose every address is public, to that very address; no redirect followed; the
webhooks' deadline; at most 256 KB of an answer. Whatever fails is Unavailable, in words."""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import urlsplit

from application.events.webhooks.ports import PinnedClient
from application.outbound import (
    NOT_HTTPS,
    DocumentTooLarge,
    HostResolver,
    WebhookUnreachable,
    log_refusal,
    public_address_of,
    said,
)
from application.shared_signals.receiver.ports import Json
from domain.errors import Unavailable

ANSWER_MAX = 256 * 1024  # a configuration or a JWK Set is a few KB


class PinnedTransmitterCalls:
    def __init__(self, client: PinnedClient, resolver: HostResolver, *, local: bool) -> None:
        self._client, self._resolver, self._local = client, resolver, local

    def _address(self, url: str) -> str | None:
        if self._local:
            return None
        if urlsplit(url).scheme != "https":
            raise self._refused(url, NOT_HTTPS)
        address, refused = public_address_of(url, self._resolver)
        if refused is not None:
            raise self._refused(url, refused)
        return address

    @staticmethod
    def _refused(url: str, cause: str) -> Unavailable:
        log_refusal("a transmitter's answer", url, cause)
        return Unavailable(f"No answer from the transmitter: {said(cause, limit=ANSWER_MAX)}.")

    def _exchange(
        self, method: str, url: str, body: bytes | None, headers: Mapping[str, str]
    ) -> tuple[int, Json]:
        address = self._address(url)
        sent = {"Accept": "application/json", **headers}
        try:
            answer = self._client.exchange(
                method, url, body, sent, address=address, limit=ANSWER_MAX
            )
        except (WebhookUnreachable, DocumentTooLarge) as error:
            raise self._refused(url, error.cause) from None
        if 300 <= answer.status < 400:
            raise self._refused(url, "redirect")
        try:
            document = json.loads(answer.body) if answer.body else {}
        except ValueError:
            document = {}
        return answer.status, document if isinstance(document, dict) else {}

    def get_json(self, url: str) -> Json:
        status, document = self._exchange("GET", url, None, {})
        if status != 200 or not document:
            raise Unavailable(f"The transmitter answered {status}, not a JSON object.")
        return document

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, Json]:
        return self._exchange("POST", url, body, headers)
