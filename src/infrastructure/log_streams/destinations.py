"""A stream's destination, made of its settings by its kind: https and Splunk HEC here
(https.py), syslog over TLS, Pub/Sub and Cloud Storage beside them (syslog.py, pubsub.py,
gcs.py), each loaded when a stream of its kind is first sent to."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any

from application.log_streams.ports import Destination
from application.outbound import HostResolver, WebhookSender
from application.ports import Clock, SecretBox
from domain.log_streams.streams import LogStream, StreamKind
from infrastructure.log_streams.https import HttpsDestination, Post, SplunkHecDestination

# The kinds another module makes: its module and its maker's name, which takes the stream.
ELSEWHERE: dict[StreamKind, tuple[str, str]] = {
    StreamKind.SYSLOG: ("infrastructure.log_streams.syslog", "syslog_destination"),
    StreamKind.PUBSUB: ("infrastructure.log_streams.pubsub", "pubsub_destination"),
    StreamKind.GCS: ("infrastructure.log_streams.gcs", "gcs_destination"),
}


@dataclass(frozen=True, kw_only=True)
class Destinations:
    """``sender``: the platform's outbound client's; ``box``: what opens the streams'
    secrets (sign-in's secret box)."""

    sender: WebhookSender
    resolver: HostResolver
    box: SecretBox
    clock: Clock
    local: bool

    def __call__(self, stream: LogStream) -> Destination:
        post = Post(self.sender, self.resolver, self.local)
        if stream.kind is StreamKind.HTTPS:
            secret = self.box.open(stream.sealed_secret)
            return HttpsDestination(str(stream.target["url"]), secret, post, self.clock.now())
        if stream.kind is StreamKind.SPLUNK_HEC:
            token = self.box.open(stream.sealed_secret)
            return SplunkHecDestination(str(stream.target["url"]), token, post)
        module, name = ELSEWHERE[stream.kind]
        maker: Any = getattr(import_module(module), name)
        made: Destination = maker(stream)
        return made
