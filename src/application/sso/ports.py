"""What an organization's single sign-on needs of storage and of the SAML library.

Firestore's layout (docs/reference/sso.md):

- ``sso_connections/{id}``: a connection (``domain.sso.connections.Connection``), with its
  ``org_id``: the sign-in addresses name the connection alone (``/sso/{id}/...``), so it is
  found in one read;
- ``sso_orgs/{org_id}``: ``{"connection_ids"}``, the org's connections, which keeps their
  number within ``CONNECTIONS_MAX`` under any concurrency.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.ports import NO_WRITES, StagedWrites
from domain.sso.connections import Connection, IdpCertificate, SamlIdp
from domain.sso.logout import IdpLogoutRequest, SamlSessionOrigin, SamlSubject


class Connections(Protocol):
    def add(self, connection: Connection, staged: StagedWrites = NO_WRITES) -> None:
        """Store a new connection of its org in one commit with what ``staged`` writes;
        Conflict ``too_many_connections`` when the org has ``CONNECTIONS_MAX``."""
        ...

    def get(self, connection_id: str) -> Connection | None:
        """The connection with this id; None if absent."""
        ...

    def list_for(self, org_id: str) -> list[Connection]:
        """The org's connections, oldest first."""
        ...

    def any_active(self) -> bool:
        """Whether any org has an active connection (one indexed read at most)."""

    def oidc_by_issuer(self, issuer: str) -> list[Connection]:
        """The OpenID connections whose issuer is ``issuer`` (with or without a trailing
        slash), in any status (at most a few)."""
        ...

    def active_page(self, after: str | None, limit: int) -> list[Connection]:
        """Up to ``limit`` active connections of every org by id, after the id ``after``."""
        ...

    def replace(self, connection: Connection, staged: StagedWrites = NO_WRITES) -> Connection:
        """Store ``connection`` over the one it was changed from (its version one less), in
        one commit with what ``staged`` writes; Conflict ``connection_changed`` when another
        change came first, NotFound ``connection_not_found`` when it was deleted."""
        ...

    def delete(self, org_id: str, connection_id: str) -> Connection | None:
        """Remove the org's connection (and return it); None if the org has no such one."""
        ...

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        """Delete all of a deleted org's connections (the org's purge calls it: ``OrgOwnedData``);
        an org has a few, so ``batch_size`` is never reached; idempotent."""
        ...


class SamlMetadata(Protocol):
    """Reads what a SAML identity provider publishes (with the SAML library, never by
    hand)."""

    def idp(self, xml: str, now: datetime) -> SamlIdp:
        """The IdP described by metadata ``xml`` (one EntityDescriptor with an
        IDPSSODescriptor): entity ID, the HTTP-Redirect SingleSignOnService, the signing
        certificates; InvalidInput ``invalid_metadata`` (field ``saml.metadata_xml``)."""
        ...

    def certificate(self, text: str, now: datetime) -> IdpCertificate:
        """A certificate given as PEM or base64 DER; InvalidInput ``invalid_certificate``
        (field ``saml.certificates``) if it is neither or has expired by ``now``."""
        ...


@dataclass(frozen=True)
class SamlLogin:
    """Where to send the browser (the IdP, with the signed AuthnRequest) and the request's
    id, which only this browser may bring back (``InResponseTo``)."""

    url: str
    request_id: str


@dataclass(frozen=True)
class SamlAssertion:
    """What a checked answer of the IdP says: the assertion's id (spent once), the NameID,
    the attributes by name and by friendly name, and until when it could be replayed."""

    id: str
    name_id: str
    name_id_format: str
    attributes: Mapping[str, tuple[str, ...]]
    expires_at: datetime
    in_response_to: str | None
    # Single logout (``SamlSessions``): the NameID's qualifiers and the assertion's
    # SessionIndex, "" for none.
    name_qualifier: str = ""
    sp_name_qualifier: str = ""
    session_index: str = ""


class SamlServiceProvider(Protocol):
    """firegate as a SAML service provider for a connection (with the SAML library)."""

    def metadata(self, connection: Connection, encryption: Sequence[str] = ()) -> str:
        """The service provider's metadata for the connection (its entity ID, ACS, key), with
        ``encryption``, the certificates (base64 DER) of its encryption keys, the current
        one first."""
        ...

    def new_encryption_key(self) -> tuple[str, str]:
        """A new encryption key for a connection: the RSA private key (PEM) and its
        certificate (base64 DER)."""
        ...

    def login(self, connection: Connection, relay_state: str) -> SamlLogin:
        """A signed AuthnRequest to the connection's IdP (HTTP-Redirect)."""
        ...

    def assertion(
        self,
        connection: Connection,
        response: str,
        request_id: str | None,
        decryption_keys: Sequence[str] = (),
    ) -> SamlAssertion:
        """The IdP's answer (``SAMLResponse``, base64) checked: signed by one of the
        connection's certificates (the response or the assertion), for this service
        provider's audience and ACS, within its validity window (2 minutes of skew), in
        response to ``request_id`` (None: only where the connection allows IdP-initiated
        sign-in); an ``EncryptedAssertion`` decrypted first with one of ``decryption_keys``
        (PEM), by the connection's rules (``allow_cbc``, ``require_encrypted``);
        Unauthenticated ``saml_*`` naming the refusal."""
        ...


class SpentAssertions(Protocol):
    def spend(self, connection_id: str, assertion_id: str, expires_at: datetime) -> bool:
        """Record the assertion as used, kept until ``expires_at`` (its TTL); False when it
        was used already (a replay), under any concurrency."""
        ...


# -- single logout (docs/reference/sso.md, "Single logout")


@dataclass(frozen=True)
class LogoutMessage:
    """A logout message of the IdP as it arrived at firegate's SLO URL: by the HTTP-Redirect
    binding, the raw query (its signature is over the query's very bytes); by HTTP-POST, the
    ``SAMLRequest`` or ``SAMLResponse`` field. ``relay_state``: as it came ("" for none)."""

    binding: str  # domain.sso.logout REDIRECT or POST
    query: str = ""
    posted: str = ""
    relay_state: str = ""


@dataclass(frozen=True)
class SamlOutgoing:
    """A signed message for the IdP, which the browser carries: to ``url`` (HTTP-Redirect:
    the query holds it and its signature) or posted to ``url`` with ``fields`` (HTTP-POST);
    ``id``: a request's ID, which its answer must name."""

    url: str
    fields: Mapping[str, str]
    id: str = ""


class SamlSingleLogout(Protocol):
    """firegate's side of SAML single logout (with the SAML library)."""

    def logout_request(self, connection: Connection, message: LogoutMessage) -> IdpLogoutRequest:
        """The IdP's ``LogoutRequest``, its signature checked with the connection's
        certificates (HTTP-Redirect: over the raw query; HTTP-POST: an enveloped XML
        signature); Unauthenticated ``saml_logout_unsigned``, ``saml_logout_bad_signature``,
        ``saml_logout_weak_signature``, Unreadable ``saml_logout_invalid``."""
        ...

    def logout_response(
        self, connection: Connection, request: IdpLogoutRequest, binding: str, relay_state: str
    ) -> SamlOutgoing:
        """A signed ``LogoutResponse`` (Success) to ``request``, for the IdP's SLO URL, in
        ``binding``."""
        ...

    def logout(
        self, connection: Connection, subject: SamlSubject, session_index: str
    ) -> SamlOutgoing:
        """A signed ``LogoutRequest`` for the subject (and SessionIndex) to the IdP's SLO
        URL, in its binding."""
        ...

    def logout_answer(
        self, connection: Connection, message: LogoutMessage, request_id: str
    ) -> None:
        """The IdP's ``LogoutResponse`` checked: signed (as ``logout_request``), from its IdP,
        to this SP's SLO URL, in response to ``request_id`` (Unreadable
        ``saml_logout_unsolicited`` otherwise)."""
        ...


class SamlSessions(Protocol):
    """How the sessions begun through a SAML connection began (``sso_saml_sessions``)."""

    def record(self, origin: SamlSessionOrigin) -> None:
        """Keep ``origin`` until its ``expires_at`` (its TTL)."""
        ...

    def get(self, session_id: str) -> SamlSessionOrigin | None:
        """How the session began, when it began through a SAML connection; None otherwise."""
        ...

    def of_subject(self, connection_id: str, subject_key: str) -> list[SamlSessionOrigin]:
        """The sessions begun through the connection for the subject (``SamlSubject.key``),
        at most ``SESSIONS_OF_SUBJECT_MAX``."""
        ...

    def forget(self, session_ids: Sequence[str]) -> None:
        """Drop these sessions' records (idempotent)."""
        ...


SESSIONS_OF_SUBJECT_MAX = 200  # a person's sessions through one connection read at most
