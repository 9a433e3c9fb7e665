"""Fakes of sign-in by a one-time code: each channel's flows, the parser of a phone number
and the SMS budget."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from domain.signin.codes.flows import Channel, CodeFlow, CodeRequests


class FakeCodeFlows:
    """One channel's flows and each identifier's requests, changed under one lock as the
    adapter's batches and compare-and-set land: the rules are the domain's (``CodeRequests``,
    ``CodeFlow``)."""

    def __init__(self, channel: Channel = Channel.EMAIL) -> None:
        self.lock = threading.Lock()
        self.channel = channel
        self.flows: dict[str, CodeFlow] = {}
        self.addresses: dict[str, CodeRequests] = {}

    def requests(self, key: str) -> CodeRequests:
        with self.lock:
            return self.addresses.get(key, CodeRequests(key, channel=self.channel))

    def start(
        self, flow: CodeFlow, key: str, now: datetime, client: str, *, asker: str, challenged: bool
    ) -> None:
        with self.lock:
            before = self.addresses.get(key, CodeRequests(key, channel=self.channel))
            after = before.requested(flow.id, now, client, asker=asker, challenged=challenged)
            live = before.live_for(asker)
            old = self.flows.get(live) if live is not None else None
            if old is not None:
                self.flows[old.id] = old.voided()
            self.flows[flow.id] = flow
            self.addresses[key] = after

    def count(self, key: str, now: datetime, client: str, *, challenged: bool) -> None:
        with self.lock:
            before = self.addresses.get(key, CodeRequests(key, channel=self.channel))
            self.addresses[key] = before.requested("", now, client, asker="", challenged=challenged)

    def get(self, flow_id: str) -> CodeFlow | None:
        with self.lock:
            return self.flows.get(flow_id)

    def by_link(self, link_hash: str) -> CodeFlow | None:
        with self.lock:
            return next((f for f in self.flows.values() if f.link_hash == link_hash), None)

    def update(self, flow_id: str, change: Callable[[CodeFlow], CodeFlow]) -> CodeFlow | None:
        with self.lock:
            flow = self.flows.get(flow_id)
            if flow is None:
                return None
            self.flows[flow_id] = change(flow)
            return self.flows[flow_id]


FakeEmailCodeFlows = FakeCodeFlows  # the e-mail channel's, by the name its tests know
