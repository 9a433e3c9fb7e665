"""SAML single logout (docs/reference/sso.md, "Single logout";
docs/decisions/0934-saml-single-logout.md, docs/decisions/0935-an-idp-logout-ends-every-session.md,
docs/decisions/0936-single-logout-from-the-api.md).

- A session begun through a SAML connection is remembered with the NameID and SessionIndex
  its assertion named (``remember``).
- The IdP's signed ``LogoutRequest`` at the connection's SLO URL (``from_idp``): checked
  (signature, issuer, destination, validity window), its ID spent once, then the person's
  sessions end as signing out everywhere ends them (their refresh tokens, their access and
  Firebase's, through the account's token version; the apps told by back-channel logout,
  which follows the audit event), and a signed ``LogoutResponse`` goes back to the IdP.
- Signing out of the pages from such a session (``after_sign_out``): the session has ended
  as any sign-out ends it; then, when the IdP lists an SLO endpoint, the browser carries a
  signed ``LogoutRequest`` to it, and its ``LogoutResponse`` comes back to the SLO URL
  (``answered``), checked against the request this browser's flight names.
"""

from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from application.accounts.accounts import UserRepository
from application.ports import Audit, AuditEvent, AuditLog, Clock, SecretBox
from application.signin.sessions import SessionRepository, end_every_session
from application.sso.ports import (
    Connections,
    LogoutMessage,
    SamlAssertion,
    SamlOutgoing,
    SamlSessions,
    SamlSingleLogout,
    SpentAssertions,
)
from application.sso.signin.saml import saml_connection
from domain.errors import DomainError
from domain.sso.connections import Connection, SpAddresses
from domain.sso.logout import SamlSessionOrigin, SamlSubject, logout_refused, replayed

log = logging.getLogger("firegate.sso")
SAML_LOGOUT = "saml_logout"  # the reason of the sessions' end an IdP's logout records
FLIGHT_TTL = timedelta(minutes=10)
_FLIGHT = "sso-slo"


@dataclass(frozen=True)
class SignedOutAtIdp:
    """Where signing out sends the browser next, the IdP's SLO endpoint with a signed
    ``LogoutRequest`` (``message``), and the flight it keeps meanwhile (sealed)."""

    message: SamlOutgoing
    flight: str


@dataclass(frozen=True, kw_only=True, slots=True)
class SamlLogout:
    """Single logout for the SAML connections. ``sp``: the SAML library's side of it;
    ``origins``: how sessions began; ``spent``: the IDs of logout requests used (as
    assertions' are); ``users``, ``sessions``, ``audit``: signing out everywhere, as the
    person's own "sign out everywhere" does; ``box`` seals the flights of sign-outs."""

    connections: Connections
    sp: SamlSingleLogout
    origins: SamlSessions
    spent: SpentAssertions
    users: UserRepository
    sessions: SessionRepository
    audit: AuditLog
    clock: Clock
    box: SecretBox
    public_url: str

    def remember(self, connection: Connection, assertion: SamlAssertion, session_id: str) -> None:
        """The session ``session_id`` began with ``assertion`` through ``connection``: kept
        until the session ends, for the IdP's logout to find."""
        session = self.sessions.get(session_id)
        if session is None:
            return
        subject = SamlSubject.of(
            assertion.name_id,
            assertion.name_id_format,
            assertion.name_qualifier,
            assertion.sp_name_qualifier,
        )
        self.origins.record(
            SamlSessionOrigin(
                session_id=session.id,
                user_id=session.user_id,
                connection_id=connection.id,
                subject=subject,
                session_index=assertion.session_index,
                expires_at=session.expires_at,
            )
        )

    def _slo_url(self, connection: Connection) -> str:
        return SpAddresses.of(self.public_url, connection.id).slo_url

    def from_idp(self, connection_id: str, message: LogoutMessage) -> SamlOutgoing | None:
        """The IdP's ``LogoutRequest`` obeyed: the person's sessions begun through the
        connection for its NameID (and SessionIndex, when it names any) end, with every
        other session of theirs (docs/decisions/0935-an-idp-logout-ends-every-session.md);
        the signed ``LogoutResponse`` to send back (None: the IdP lists no SLO endpoint).
        Refused, nothing ended: ``saml_logout_*`` (docs/reference/errors.md)."""
        connection = saml_connection(connection_id, self.connections, active=False)
        try:
            request = self.sp.logout_request(connection, message)
            request.check(
                idp_entity_id=connection.saml.entity_id,
                slo_url=self._slo_url(connection),
                now=self.clock.now(),
            )
        except DomainError as refused:
            log.warning(
                "SAML logout request refused for connection %s: %s", connection.id, refused.code
            )
            raise
        if not self.spent.spend(connection.id, f"logout\n{request.id}", request.kept_until()):
            raise replayed()
        key = request.subject.key(connection.id)
        ended = [
            o
            for o in self.origins.of_subject(connection.id, key)
            if o.ended_by(key, request.session_indexes)
        ]
        for user_id in dict.fromkeys(o.user_id for o in ended if self._live(o)):
            self._end_every_session(user_id)
        self.origins.forget([o.session_id for o in ended])
        if not connection.saml.slo_url:
            return None
        return self.sp.logout_response(connection, request, message.binding, message.relay_state)

    def _live(self, origin: SamlSessionOrigin) -> bool:
        """Is the session still one its account may use? One that ended since (its sign-out,
        the session list, an end of every session) is no reason to end the others."""
        session = self.sessions.get(origin.session_id)
        if session is None:
            return False
        user = self.users.get(session.user_id)
        return user is not None and session.valid_for(user.id, user.token_version, self.clock.now())

    def _end_every_session(self, user_id: str) -> None:
        """As the person's "sign out everywhere": the account's token version moves on (every
        refresh and access token, and Firebase's access, end at once), its sessions go, and
        the audit event tells the apps by back-channel logout."""
        try:
            end_every_session(user_id, users=self.users, sessions=self.sessions, clock=self.clock)
        except DomainError as gone:  # the account was deleted meanwhile: nothing left to end
            log.warning("SAML logout found no account to sign out (%s)", gone.code)
            return
        self.audit.record(AuditEvent(Audit.LOGOUT, user_id=user_id, reason=SAML_LOGOUT))

    def after_sign_out(self, session_id: str, next_page: str) -> SignedOutAtIdp | None:
        """The session ``session_id`` (ended already) began through a SAML connection whose
        IdP lists an SLO endpoint: the signed ``LogoutRequest`` for the browser to carry
        there, and its flight (``next_page``: where it goes once the IdP answers); None
        otherwise."""
        origin = self.origins.get(session_id)
        if origin is None:
            return None
        self.origins.forget([session_id])
        connection = self.connections.get(origin.connection_id)
        if connection is None or not connection.saml.slo_url:
            return None
        sent = self.sp.logout(connection, origin.subject, origin.session_index)
        flight = {
            "is": _FLIGHT,
            "connection": connection.id,
            "request": sent.id,
            "next": next_page,
            "at": self.clock.now().isoformat(),
        }
        return SignedOutAtIdp(sent, self.box.seal(json.dumps(flight)))

    def answered(self, connection_id: str, message: LogoutMessage, flight: str) -> str:
        """The IdP's ``LogoutResponse`` to the request this browser's ``flight`` names,
        checked (signed by the connection's IdP, to this SLO URL, ``InResponseTo`` that
        request, Success): where the browser goes next. Refused: ``saml_logout_*``."""
        connection = saml_connection(connection_id, self.connections, active=False)
        request_id, next_page = self._flight(connection.id, flight, self.clock.now())
        self.sp.logout_answer(connection, message, request_id)
        return next_page

    def _flight(self, connection_id: str, sealed: str, now: datetime) -> tuple[str, str]:
        try:
            data = json.loads(self.box.open(sealed)) if sealed else None
        except (DomainError, ValueError):
            data = None
        fresh = False
        if isinstance(data, dict) and data.get("is") == _FLIGHT:
            try:
                fresh = now - datetime.fromisoformat(str(data["at"])) <= FLIGHT_TTL
            except (KeyError, ValueError):
                fresh = False
        if (
            not isinstance(data, dict)
            or not fresh
            or not hmac.compare_digest(str(data.get("connection", "")), connection_id)
        ):
            raise logout_refused(
                "saml_logout_unsolicited", "This logout answer is not to a request of this browser."
            )
        return str(data.get("request") or ""), str(data.get("next") or "")
