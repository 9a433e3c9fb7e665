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
