"""What an organization's single sign-on needs of storage and of the SAML library.

Firestore's layout (docs/reference/sso.md):

- ``sso_connections/{id}``: a connection (``domain.sso.connections.Connection``), with its
  ``org_id``: the sign-in addresses name the connection alone (``/sso/{id}/...``), so it is
  found in one read;
- ``sso_orgs/{org_id}``: ``{"connection_ids"}``, the org's connections, which keeps their
  number within ``CONNECTIONS_MAX`` under any concurrency.
"""

from __future__ import annotations

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

    def replace(self, connection: Connection, staged: StagedWrites = NO_WRITES) -> Connection:
        """Store ``connection`` over the one it was changed from (its version one less), in
        one commit with what ``staged`` writes; Conflict ``connection_changed`` when another
        change came first, NotFound ``connection_not_found`` when it was deleted."""
        ...

    def delete(self, org_id: str, connection_id: str) -> Connection | None:
        """Remove the org's connection (and return it); None if the org has no such one."""
        ...

    def purge(self, org_id: str) -> None:
        """Delete all of a deleted org's connections (the org's purge calls it)."""
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
