"""Signing in through an org's SAML connection (docs/reference/sso.md, "Signing in";
docs/decisions/0389-who-a-connection-signs-in.md).

A browser starts at ``/sso/{connection}/saml``: it is sent to the IdP with a signed request
and keeps a sealed flight (the request's id, where to go next, and, for a test sign-in from
a connection's setup page, the setup link, or from its page on the org's pages, the admin
and the org: then the answer is shown and nothing is made,
docs/decisions/0397-a-test-sign-in-makes-nothing.md,
docs/decisions/0469-the-admins-test-sign-in.md). The IdP posts its answer to the ACS;
the answer is checked (``checked_assertion``), and the person it names gets the account
every connection's sign-in gives (``application/sso/arrival.py``).

The SAML answer's checks live here too: firegate's service provider metadata
(``SamlSpMetadata``) and ``checked_assertion`` (docs/decisions/0388-the-saml-service-provider.md).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from application.federation.upstream import Arrival
from application.orgs.ports import OrgRepository
from application.ports import Clock, SecretBox
from application.sso.arrival import (
    SignInPreview,
    SsoArrivals,
    StartSso,
    VouchedSignIn,
    connection_of,
)
from application.sso.assertions import Defaults, asserted
from application.sso.ports import Connections, SamlAssertion, SamlServiceProvider, SpentAssertions
from application.sso.setup import (
    AdminTrial,
    admin_trial_connection,
    admin_trial_start,
    trial_connection,
)
from domain.errors import Conflict, DomainError, Unauthenticated
from domain.sso.connections import (
    ENCRYPTION_KEY_OVERLAP,
    Connection,
    ConnectionKind,
    SpEncryptionKey,
)


def saml_connection(connection_id: str, connections: Connections, *, active: bool) -> Connection:
    """The SAML connection of this id (404 ``connection_not_found`` for none, an OpenID one,
    or, with ``active``, one not active: a draft or switched off signs nobody in)."""
    return connection_of(connection_id, connections, ConnectionKind.SAML, active=active)


@dataclass(frozen=True, kw_only=True, slots=True)
class EncryptionKeys:
    """A SAML connection's own encryption keys as its service provider uses them: opened
    with ``box`` (they are stored sealed) for those that decrypt now
    (docs/decisions/0930-a-saml-connections-encryption-key.md)."""

    box: SecretBox
    clock: Clock

    def certificates(self, connection: Connection) -> tuple[str, ...]:
        """The certificates of the keys that decrypt now, the current one first."""
        return tuple(k.certificate for k in connection.decrypting_keys(self.clock.now()))

    def opened(self, connection: Connection) -> tuple[str, ...]:
        """The private keys (PEM) that decrypt now, the current one first; one the box no
        longer opens (``MFA_ENCRYPTION_KEY`` changed) is left out and logged: a plain
        assertion still signs in."""
        opened: list[str] = []
        for key in connection.decrypting_keys(self.clock.now()):
            try:
                opened.append(self.box.open(key.sealed_key))
            except DomainError:
                log.warning("SAML encryption key of connection %s not opened", connection.id)
        return tuple(opened)


@dataclass(frozen=True, kw_only=True, slots=True)
class SamlSpMetadata:
    """firegate's service provider metadata, one per SAML connection, and the connection's
    encryption key, made when its metadata is first asked for, rotated by the operator
    (``orgs sso-encryption-key``)."""

    connections: Connections
    sp: SamlServiceProvider
    keys: EncryptionKeys

    def metadata(self, connection_id: str) -> str:
        """The metadata for a SAML connection in any status, by its id: the IT admin loads
        it into their IdP while the connection is still a draft. A connection without an
        encryption key gets one first (of two asking at once, one makes it)."""
        connection = saml_connection(connection_id, self.connections, active=False)
        if not connection.encryption_keys:
            connection = self._keyed(connection, ENCRYPTION_KEY_OVERLAP, first=True)
        return self.sp.metadata(connection, self.keys.certificates(connection))

    def rotate_encryption_key(
        self, connection_id: str, overlap: timedelta = ENCRYPTION_KEY_OVERLAP
    ) -> Connection:
        """A new encryption key for the SAML connection, listed first in its metadata; the
        one before still decrypts for ``overlap`` (404 ``connection_not_found``)."""
        connection = saml_connection(connection_id, self.connections, active=False)
        return self._keyed(connection, overlap, first=False)

    def _keyed(self, connection: Connection, overlap: timedelta, *, first: bool) -> Connection:
        """``connection`` with a new key stored; for its ``first``, the one stored by whoever
        came first when another did meanwhile."""
        private_pem, certificate = self.sp.new_encryption_key()
        now = self.keys.clock.now()
        key = SpEncryptionKey(self.keys.box.seal(private_pem), certificate, now)
        try:
            return self.connections.replace(connection.with_encryption_key(key, now, overlap))
        except Conflict:
            if not first:
                raise
            again = saml_connection(connection.id, self.connections, active=False)
            if not again.encryption_keys:
                raise
            return again


@dataclass(frozen=True)
class SamlAnswer:
    """An IdP's answer at the ACS: the connection it came to, the ``SAMLResponse`` as posted,
    and the id of the request this browser started (None: it started none)."""

    connection_id: str
    response: str
    request_id: str | None
    trial: bool = False  # a test sign-in from the setup page: the connection in any status


def checked_assertion(
    answer: SamlAnswer,
    *,
    connections: Connections,
    sp: SamlServiceProvider,
    spent: SpentAssertions,
    keys: EncryptionKeys | None = None,
) -> tuple[Connection, SamlAssertion]:
    """The active connection (any, as drafted, for a trial) and the assertion its IdP made,
    once: every check of ``SamlServiceProvider.assertion`` (an encrypted assertion
    decrypted with the connection's ``keys``), then the assertion's id spent (401
    ``saml_replayed`` for one seen before, under any concurrency)."""
    connection = saml_connection(answer.connection_id, connections, active=not answer.trial)
    if answer.trial:  # a test tries the draft (docs/decisions/0461-sso-drafts-and-apply.md)
        connection = connection.drafted()
    decrypting = keys.opened(connection) if keys is not None else ()
    assertion = sp.assertion(connection, answer.response, answer.request_id, decrypting)
    if not spent.spend(connection.id, assertion.id, assertion.expires_at):
        raise Unauthenticated("This answer was used already.", code="saml_replayed")
    return connection, assertion


SAML = ConnectionKind.SAML
log = logging.getLogger("firegate.sso")
FLIGHT_TTL = timedelta(minutes=10)
_FLIGHT = "sso-saml"
# A SAML IdP's names: the NameID is the address unless the mapping names an attribute.
SAML_DEFAULTS = Defaults(
    email="", given_name="givenName", family_name="sn", full_name="displayName"
)


@dataclass(frozen=True)
class SamlRedirect:
    """Where a SAML sign-in's start sends the browser, and the flight it keeps meanwhile."""

    url: str  # the IdP, with the signed request
    flight: str  # sealed: the browser keeps it (a cookie) and brings it back


@dataclass(frozen=True)
class FinishSaml:
    connection_id: str
    response: str  # the SAMLResponse posted
    flight: str  # what the browser brought back ("" for none)
    user_agent: str = ""
    client_ip: str = ""
    device_token: str = ""
    signed_in_as: str = ""  # the account whose session came with the answer, if one did


@dataclass(frozen=True)
class Flight:
    """What this browser's flight to a connection says (a flight: the sealed state a browser
    keeps between a sign-in's start and the IdP's answer): the request it started, where to
    go next, and the setup link of a test sign-in ("" for a sign-in), or the admin of an
    admin's test."""

    request_id: str | None = None
    next: str | None = None
    trial_link: str = ""
    trial_by: AdminTrial | None = None
    # The account the browser was signed in to at the start (its session does not come with
    # the IdP's cross-site post): a guest becomes the account the connection makes
    signed_in_as: str = ""


def _flight(cmd: FinishSaml, box: SecretBox, now: datetime) -> Flight:
    """This browser's flight to this connection, if it has a fresh one; an empty one
    otherwise: then only an IdP-initiated answer can be taken."""
    try:
        data = json.loads(box.open(cmd.flight)) if cmd.flight else None
    except (DomainError, ValueError):  # altered, foreign, or sealed by another key
        data = None
    if (
        not isinstance(data, dict)
        or data.get("is") != _FLIGHT
        or not hmac.compare_digest(str(data.get("connection", "")), cmd.connection_id)
    ):
        return Flight()
    try:
        started = datetime.fromisoformat(str(data["at"]))
    except (KeyError, ValueError):
        return Flight()
    if now - started > FLIGHT_TTL:
        return Flight()
    by, org = str(data.get("by") or ""), str(data.get("org") or "")
    return Flight(
        str(data.get("request") or "") or None,
        str(data.get("next") or "") or None,
        str(data.get("trial") or ""),
        AdminTrial(by, org) if by and org else None,
        str(data.get("signed_in_as") or ""),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class SamlSignIn:
    """Signing in through a SAML connection: to the IdP (``start``) and back (``finish``).

    ``sp``: firegate as the service provider; ``spent``: the assertions used;
    ``box`` seals the flights; ``arrivals``: the account the person gets; ``orgs``:
    whose admins test a connection from its page."""

    orgs: OrgRepository
    connections: Connections
    sp: SamlServiceProvider
    spent: SpentAssertions
    box: SecretBox
    clock: Clock
    arrivals: SsoArrivals
    # What a session begun here is remembered by for single logout (``SamlLogout.remember``:
    # the connection, the assertion, the session's id).
    began: Callable[[Connection, SamlAssertion, str], None] = lambda *_: None

    def start(self, cmd: StartSso) -> SamlRedirect:
        """To the active connection's IdP (404 ``connection_not_found`` otherwise); for a
        test sign-in, to the IdP of the complete SAML connection the setup link still opens
        (400 ``invalid_token``, 409 ``connection_incomplete``), in any status; for an admin's
        test, to the IdP of the org's complete connection (as the connection's page: 404,
        403 ``org_permission_denied``), in any status, as its draft would make it."""
        connections = self.connections
        trial: AdminTrial | None = None
        if cmd.trial_link:
            connection = trial_connection(cmd.trial_link, connections, self.clock.now(), SAML)
        elif cmd.tried_by is not None:
            connection, trial = admin_trial_start(
                cmd, SAML, orgs=self.orgs, connections=connections
            )
        else:
            connection = saml_connection(cmd.connection_id, connections, active=True)
        login = self.sp.login(connection, relay_state="")
        flight = {
            "is": _FLIGHT,
            "connection": connection.id,
            "request": login.request_id,
            "next": cmd.next,
            "at": self.clock.now().isoformat(),
        }
        if cmd.trial_link:
            flight["trial"] = cmd.trial_link
        if trial is not None:
            flight["by"], flight["org"] = trial.by, trial.org_id
        if cmd.signed_in_as and not (cmd.trial_link or trial):
            flight["signed_in_as"] = cmd.signed_in_as
        return SamlRedirect(login.url, self.box.seal(json.dumps(flight)))

    def finish(self, cmd: FinishSaml) -> Arrival | SignInPreview:
        """The person signed in (or asked for their second factor), a member of the org
        when their address is on its verified domains; for a test sign-in, what would
        happen, with nothing made. Unauthenticated ``saml_*`` for an answer refused; 404 for
        a connection that is not active (a test: that the setup link no longer opens; an
        admin's test: ``admin_trial_connection``'s refusals)."""
        connections, clock = self.connections, self.clock
        flight = _flight(cmd, self.box, clock.now())
        if flight.trial_link:  # the setup link must still open the connection
            trial_connection(flight.trial_link, connections, clock.now(), SAML)
        elif flight.trial_by is not None:  # still the org's admin, the connection still there
            admin_trial_connection(
                flight.trial_by,
                cmd.connection_id,
                SAML,
                cmd.signed_in_as,
                orgs=self.orgs,
                connections=connections,
            )
        trial = bool(flight.trial_link) or flight.trial_by is not None
        connection, assertion = checked_assertion(
            SamlAnswer(cmd.connection_id, cmd.response, flight.request_id, trial=trial),
            connections=connections,
            sp=self.sp,
            spent=self.spent,
            keys=EncryptionKeys(box=self.box, clock=clock),
        )
        if not assertion.name_id:
            raise Unauthenticated("The answer names nobody.", code="saml_invalid")
        person = asserted(
            connection.mapping, assertion.attributes, SAML_DEFAULTS, assertion.name_id
        )
        vouched = VouchedSignIn(
            connection,
            assertion.name_id,
            person,
            flight.next or "",
            user_agent=cmd.user_agent,
            client_ip=cmd.client_ip,
            device_token=cmd.device_token,
            signed_in_as=flight.signed_in_as,
        )
        if trial:
            return self.arrivals.preview(vouched, assertion.attributes, flight.trial_link)
        arrival = self.arrivals.arrive(vouched)
        if arrival.pair is not None:  # for single logout (docs/reference/sso.md)
            self.began(connection, assertion, arrival.pair.refresh_token.partition(".")[0])
        return arrival
