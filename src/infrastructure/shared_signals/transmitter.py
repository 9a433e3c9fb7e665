"""The push of a SET (RFC 8935 §2) through the platform's outbound client: pinned to the
address its host was checked to resolve to, under the webhooks' deadline, with the answer's
body read (a refusal's ``err``) (docs/reference/ssf.md, "Delivery")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from application.shared_signals.transmitter.ports import PushAnswer
from infrastructure.outbound_http import PinnedWebhookSender

MAX_ANSWER = 8192  # of a receiver's answer: a refusal's JSON


@dataclass(frozen=True, slots=True)
class OutboundSetPusher:
    sender: PinnedWebhookSender

    def push(
        self, url: str, body: str, headers: Mapping[str, str], address: str | None
    ) -> PushAnswer:
        answer = self.sender.exchange(
            "POST", url, body.encode(), headers, address=address, limit=MAX_ANSWER, whole=False
        )
        return PushAnswer(answer.status, answer.body[:MAX_ANSWER])
