"""The SETs an org's IdP pushes to firegate (RFC 8935; docs/reference/ssf-receiver.md): at
``/ssf/receive/{connection}``, for an active OpenID connection whose stream is registered,
with the authorization header firegate gave the transmitter, signed with one of the
transmitter's keys, from its issuer, to the audience it registered, a ``jti`` never seen
before, each event about one of the org's people. Anything else is refused, and nothing of it
is done."""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass

from application.accounts.accounts import UserRepository as Users
from application.accounts.ways_in import IdentityRepository
from application.orgs.ports import OrgRepository
from application.ports import SecretBox
from application.shared_signals.receiver.effects import Effects
from application.shared_signals.receiver.keys import TransmitterDocuments
from application.shared_signals.receiver.ports import ReceiverStreams, SpentSetIds
from application.sso.arrival import identity_provider
from application.sso.ports import Connections
from domain.accounts.credentials import login_key
from domain.errors import DomainError
from domain.shared_signals.receiver.events import Effect
from domain.shared_signals.receiver.sets import (
    ACCESS_DENIED,
    AUTHENTICATION_FAILED,
    INVALID_REQUEST,
    Event,
    Refused,
    checked_set,
)
from domain.shared_signals.receiver.streams import ReceiverStream
from domain.sso.connections import Connection, ConnectionKind, is_connection_id

log = logging.getLogger("firegate.ssf")


@dataclass(frozen=True)
class Push:
    """A SET pushed: to the connection the path names, with the ``Authorization`` header
    sent (None: none)."""

    connection_id: str
    token: str
    authorization: str | None


@dataclass(frozen=True)
class Verdict:
    """What the push is answered: taken (``err`` None: 202) or refused (400 with RFC 8935's
    ``err`` and ``description``)."""

    err: str | None = None
    description: str = ""

    @staticmethod
    def of(refused: Refused) -> Verdict:
        return Verdict(refused.err, refused.description)


@dataclass(frozen=True)
class Target:
    """An account an event is about, and whether the org manages it."""

    user_id: str
    managed: bool


def spent_key(source: str, jti: str) -> str:
    """A SET's key among those spent: its transmitter (a connection, or Google) and ``jti``."""
    return hashlib.sha256(f"{source}\n{jti}".encode()).hexdigest()


def bearer_matches(sent: str | None, secret: str) -> bool:
    return sent is not None and hmac.compare_digest(sent.encode(), f"Bearer {secret}".encode())


@dataclass(frozen=True, kw_only=True, slots=True)
class OrgSetReceiver:
    """The pushes of an org's IdP's transmitter, one per OpenID connection."""

    connections: Connections
    streams: ReceiverStreams
    documents: TransmitterDocuments
    spent: SpentSetIds
    users: Users
    identities: IdentityRepository
    orgs: OrgRepository
    box: SecretBox
    effects: Effects

    def receive(self, push: Push) -> Verdict:
        try:
            return self._receive(push)
        except Refused as refused:
            log.warning("ssf: a SET for connection refused: %s", refused.err)
            return Verdict.of(refused)

    def _receive(self, push: Push) -> Verdict:
        connection, stream = self._stream_of(push.connection_id)
        try:
            secret = self.box.open(stream.sealed_authorization)
        except DomainError:
            raise Refused(AUTHENTICATION_FAILED, "The stream's secret cannot be read.") from None
        if not bearer_matches(push.authorization, secret):
            raise Refused(AUTHENTICATION_FAILED, "The authorization header is not the stream's.")
        claims = self.documents.verified(push.token, stream.jwks_uri)
        received = checked_set(claims, issuer=stream.issuer, audiences=stream.audience)
        targets = [(event, self._target(connection, event)) for event in received.events]
        now = self.effects.clock.now()
        if not self.spent.spend(
            spent_key(connection.id, received.jti), received.remembered_until(now)
        ):
            raise Refused(INVALID_REQUEST, "A SET with this jti was received before.")
        for event, target in targets:
            if target is None:
                continue
            if event.effect is Effect.DISABLE and target.managed:
                self.effects.disable(target.user_id, connection.org_id)
            else:  # a session revoked, a credential changed, an account it does not manage
                self.effects.end_sessions(target.user_id, connection.org_id)
        return Verdict()

    def _stream_of(self, connection_id: str) -> tuple[Connection, ReceiverStream]:
        connection = (
            self.connections.get(connection_id) if is_connection_id(connection_id) else None
        )
        stream = self.streams.get(connection_id) if connection is not None else None
        if (
            connection is None
            or stream is None
            or connection.kind is not ConnectionKind.OIDC
            or not connection.active
            or connection.oidc.ssf_configuration_url != stream.configuration_url
            or not stream.registered
        ):
            raise Refused(ACCESS_DENIED, "No stream of an active connection is registered here.")
        return connection, stream

    def _target(self, connection: Connection, event: Event) -> Target | None:
        """The org's member the event is about; Refused when it names no one firegate knows
        as such (None: an event about no one, a stream's verification)."""
        subject = event.subject
        if event.effect is Effect.NOTHING:
            return None
        user_id: str | None = None
        if subject is not None and subject.format == "email":
            try:
                user = self.users.find_by_login(login_key(subject.email))
            except DomainError:
                user = None
            if user is not None and user.email_verified:
                user_id = user.id
        elif subject is not None and subject.iss.rstrip("/") == connection.oidc.issuer.rstrip("/"):
            linked = self.identities.find_by_identity(identity_provider(connection.id), subject.sub)
            user_id = linked.id if linked is not None else None
        membership = (
            self.orgs.membership(connection.org_id, user_id) if user_id is not None else None
        )
        if user_id is None or membership is None:
            raise Refused(INVALID_REQUEST, "The event's subject is no member of the org known.")
        return Target(user_id, membership.managed)
