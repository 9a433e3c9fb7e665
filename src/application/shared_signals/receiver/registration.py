"""Firegate's stream at an org's IdP's SSF transmitter (docs/reference/ssf-receiver.md): for
each active OpenID connection that names one (``ssf_configuration_url``), its configuration
is fetched, firegate authenticates to it with the connection's own client credentials (a
``client_credentials`` grant at the IdP's token endpoint;
docs/decisions/0961-the-receiver-registers-with-the-connections-client.md), and registers a
push stream to ``/ssf/receive/{connection}`` with an authorization header of its own. A
sweep does it, and tries one that failed again after a backoff; of the servers sweeping at
once, the one that takes a connection's registration registers it. A connection switched on,
or whose IdP changed, is registered at once by a job its change queues
(``ConnectionChanges``); the sweep is there for a job lost or failed."""

from __future__ import annotations

import base64
import json
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, urlencode

from application.events.outbox import OutboxEntries
from application.ports import Clock, Job, JobQueue, SecretBox
from application.shared_signals.receiver.keys import TransmitterDocuments
from application.shared_signals.receiver.ports import Json, ReceiverStreams, TransmitterCalls
from application.sso.ports import Connections
from domain.errors import DomainError, Unavailable
from domain.events.outbox import OutboxEntry
from domain.events.security_events import SecurityEvent
from domain.ids import new_id
from domain.shared_signals.receiver.events import REQUESTED
from domain.shared_signals.receiver.streams import ReceiverStream
from domain.sso.connections import Connection, ConnectionKind

log = logging.getLogger("firegate.ssf")

PAGE = 100
PUSH = "urn:ietf:rfc:8935"
# How long a server holds a connection's registration: more than its four calls take at
# their deadlines; a server that dies holding it leaves it to a sweep after this.
REGISTRATION_LEASE = timedelta(minutes=5)
REGISTER = "ssf_register"  # the job that registers a connection's stream; its subject the id
CHANGED = "ssf_connection"  # the outbox entries of a connection's change (``EventOutbox.kind``)
CHANGE_KEPT = timedelta(days=1)  # an entry whose job never ran: the sweep saw to it
# The events after which a connection's stream may be due: switched on, or its IdP changed.
_CHANGES = frozenset(
    {
        "org.sso_connection_activated",
        "org.sso_connection_updated",
        "org.sso_connection_draft_applied",
    }
)


def endpoint_url(public_url: str, connection_id: str) -> str:
    """Where the transmitter pushes a connection's SETs."""
    return f"{public_url.rstrip('/')}/ssf/receive/{connection_id}"


def _audience(answer: Json, fallback: str) -> tuple[str, ...]:
    aud = answer.get("aud")
    if isinstance(aud, str) and aud:
        return (aud,)
    if isinstance(aud, list) and all(isinstance(a, str) for a in aud) and aud:
        return tuple(str(a) for a in aud)
    return (fallback,)


@dataclass(frozen=True, kw_only=True, slots=True)
class ConnectionChanges:
    """The receiver's ``EventOutbox``: of an event that a connection was switched on or its
    IdP changed (the connection's id its ``reason``), one entry in the change's own commit,
    and once committed, a job that registers the connection's stream if it is due."""

    queue: JobQueue

    @property
    def kind(self) -> str:
        return CHANGED

    def entries(self, event: SecurityEvent) -> list[OutboxEntry]:
        if event.type not in _CHANGES or not event.reason:
            return []
        return [
            OutboxEntry(
                id=new_id(),
                kind=CHANGED,
                key=event.reason,
                at=event.at,
                body="",
                expires_at=event.at + CHANGE_KEPT,
            )
        ]

    def stored(self, entries: Sequence[OutboxEntry]) -> None:
        for connection_id in dict.fromkeys(entry.key for entry in entries):
            try:
                self.queue.enqueue(Job(REGISTER, connection_id))
            except Exception as error:  # the sweep registers it
                log.warning("ssf: registration not queued (%s)", type(error).__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class StreamRegistration:
    connections: Connections
    streams: ReceiverStreams
    entries: OutboxEntries  # a connection's changes (``ConnectionChanges``), its job's to remove
    documents: TransmitterDocuments
    calls: TransmitterCalls
    box: SecretBox
    clock: Clock
    public_url: str

    def sweep(self) -> int:
        """Register the streams due (none yet, pointed elsewhere, a failure's backoff over):
        how many were registered."""
        registered, after = 0, None
        while page := self.connections.active_page(after, PAGE):
            for connection in page:
                if self._due(connection, self.streams.get(connection.id)):
                    registered += self._registered_once(connection)
            after = page[-1].id
        return registered

    def run(self, job: Job, final: bool) -> None:
        """The job a connection's change queued: its stream registered now, when it is active
        and due (a registration another server holds is left to it; a failure, to the sweep
        after its backoff)."""
        connection = self.connections.get(job.subject)
        if (
            connection is not None
            and connection.active
            and self._due(connection, self.streams.get(connection.id))
        ):
            self._registered_once(connection)
        self.entries.remove_key(job.subject)

    def _registered_once(self, connection: Connection) -> int:
        """1 when this server registered the connection's stream; 0 when it is not due
        (another registered it since it was read), another holds its registration, or the
        registration failed."""
        holder, now = new_id(), self.clock.now()
        if not self.streams.take_registration(connection.id, holder, now, now + REGISTRATION_LEASE):
            return 0
        try:
            before = self.streams.get(connection.id)  # read again now that it is this one's
            if not self._due(connection, before):
                return 0
            return int(self._register(connection, before).registered)
        finally:
            self.streams.release_registration(connection.id, holder)

    def _due(self, connection: Connection, stream: ReceiverStream | None) -> bool:
        """Whether the connection's stream (``stream``, as stored; None: none) is to be
        registered now."""
        url = connection.oidc.ssf_configuration_url
        if connection.kind is not ConnectionKind.OIDC or not url:
            return False
        return stream is None or stream.due(url, self.clock.now())

    def _register(self, connection: Connection, before: ReceiverStream | None) -> ReceiverStream:
        """Register the connection's stream at its transmitter (``before``: as stored): the
        stream stored as registered, or with the failure (logged) and when to try again."""
        url = connection.oidc.ssf_configuration_url
        secret = secrets.token_urlsafe(32)
        stream = ReceiverStream(
            connection_id=connection.id,
            org_id=connection.org_id,
            configuration_url=url,
            sealed_authorization=self.box.seal(secret),
            failures=before.failures if before and before.configuration_url == url else 0,
        )
        try:
            config = self.documents.config(url)
            answer = self._created(connection, config.configuration_endpoint, secret)
            stream_id = answer.get("stream_id")
            if not isinstance(stream_id, str) or not stream_id:
                raise Unavailable("The transmitter's answer has no stream_id.")
            stream = stream.registered_at(config, stream_id, _audience(answer, self.public_url))
        except DomainError as failed:
            log.warning("ssf: connection %s's stream not registered: %s", connection.id, failed)
            stream = stream.failed(str(failed) or failed.code, self.clock.now())
        self.streams.put(stream)
        return stream

    def _created(self, connection: Connection, endpoint: str, secret: str) -> Json:
        body = {
            "delivery": {
                "method": PUSH,
                "endpoint_url": endpoint_url(self.public_url, connection.id),
                "authorization_header": f"Bearer {secret}",
            },
            "events_requested": list(REQUESTED),
            "description": "firegate",
        }
        status, answer = self.calls.post(
            endpoint,
            json.dumps(body).encode(),
            {
                "Authorization": f"Bearer {self._access_token(connection)}",
                "Content-Type": "application/json",
            },
        )
        if status not in {200, 201}:
            raise Unavailable(f"The transmitter answered {status} to the stream's creation.")
        return answer

    def _access_token(self, connection: Connection) -> str:
        """An access token of the connection's own client at its IdP (client_credentials,
        the client's secret in Basic authentication, RFC 6749 2.3.1)."""
        oidc = connection.oidc
        discovery = self.documents.document(
            oidc.issuer.rstrip("/") + "/.well-known/openid-configuration"
        )
        token_endpoint = discovery.get("token_endpoint")
        if not isinstance(token_endpoint, str) or not token_endpoint:
            raise Unavailable("The IdP's discovery document names no token endpoint.")
        pair = (
            f"{quote(oidc.client_id, safe='')}:{quote(self.box.open(oidc.sealed_secret), safe='')}"
        )
        status, answer = self.calls.post(
            token_endpoint,
            urlencode({"grant_type": "client_credentials"}).encode(),
            {
                "Authorization": "Basic " + base64.b64encode(pair.encode()).decode(),
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        token = answer.get("access_token")
        if status != 200 or not isinstance(token, str) or not token:
            raise Unavailable(f"The IdP gave no access token (it answered {status}).")
        return token
