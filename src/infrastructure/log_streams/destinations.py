"""A stream's destination, made of its settings by its kind: https and Splunk HEC here
(https.py), syslog over TLS, Pub/Sub and Cloud Storage beside them (syslog.py, pubsub.py,
gcs.py), each module loaded when a stream of its kind is first sent to."""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from application.log_streams.ports import Destination, DestinationDown
from application.outbound import HostResolver, WebhookSender, public_address_of
from application.ports import Clock, SecretBox
from domain.log_streams.streams import LogStream, StreamKind
from infrastructure.log_streams.https import HttpsDestination, Post, SplunkHecDestination


@dataclass(frozen=True, kw_only=True)
class Destinations:
    """``sender``: the platform's outbound client's; ``box``: what opens the streams'
    secrets (sign-in's secret box); ``ca_certs``: what a syslog receiver's certificate is
    checked against (the outbound client's: SSL_CERT_FILE's, else certifi's); ``project``:
    the Cloud Storage client's (GOOGLE_CLOUD_PROJECT); ``local``: the local profile (any
    address)."""

    sender: WebhookSender
    resolver: HostResolver
    box: SecretBox
    clock: Clock
    local: bool
    ca_certs: str | None = None
    project: str = ""

    def __call__(self, stream: LogStream) -> Destination:
        target = stream.target
        post = Post(self.sender, self.resolver, self.local)
        if stream.kind is StreamKind.HTTPS:
            secret = self.box.open(stream.sealed_secret)
            return HttpsDestination(str(target["url"]), secret, post, self.clock.now())
        if stream.kind is StreamKind.SPLUNK_HEC:
            token = self.box.open(stream.sealed_secret)
            return SplunkHecDestination(str(target["url"]), token, post)
        if stream.kind is StreamKind.SYSLOG:
            return self._syslog(str(target["host"]), int(target["port"]))
        if stream.kind is StreamKind.PUBSUB:
            return self._pubsub(str(target["topic"]), stream.id)
        return self._gcs(str(target["bucket"]), stream.id)

    def _syslog(self, host: str, port: int) -> Destination:
        address = None
        if not self.local:  # a public address only, as a webhook's
            address, refused = public_address_of(f"https://{host}/", self.resolver)
            if refused is not None:
                raise DestinationDown(refused)
        from infrastructure.log_streams.syslog import (  # noqa: PLC0415 - loaded on first use
            SyslogDestination,
        )

        tls = ssl.create_default_context(cafile=self.ca_certs)
        made: Destination = SyslogDestination(host, port, tls, address=address)
        return made

    def _pubsub(self, topic: str, stream_id: str) -> Destination:
        from infrastructure.log_streams.pubsub import (  # noqa: PLC0415 - a cloud library on first use
            PubSubDestination,
            ordered_publisher,
        )

        made: Destination = PubSubDestination(ordered_publisher(), topic, stream_id)
        return made

    def _gcs(self, bucket: str, stream_id: str) -> Destination:
        from infrastructure.gcs_storage import (  # noqa: PLC0415 - a cloud library on first use
            storage_client,
        )
        from infrastructure.log_streams.gcs import (  # noqa: PLC0415 - a cloud library on first use
            GcsDestination,
        )

        made: Destination = GcsDestination(storage_client(self.project), bucket, stream_id)
        return made
