"""Identity providers as people know them, for the notice of a new way in
(docs/security.md, "A new way in"): an upstream provider by the name its admin gave it, an
org's single sign-on by its connection's name and the org's, Firebase as Firebase; never by
an id ("Signing in with sso-i6nmcv… was added" reads like phishing). Read when the mail is
sent, so it names them as they are then. An org's audit log names its connections the same
way (``OrgConnectionNames``)."""

from __future__ import annotations

from dataclasses import dataclass

from application.federation.firebase import VIA as FIREBASE
from application.federation.providers import UpstreamProviders
from application.mail.sending import ProviderName
from application.orgs.ports import OrgRepository
from application.sso.arrival import connection_named_by
from application.sso.ports import Connections

FIREBASE_NAME = "Firebase"


@dataclass(frozen=True, kw_only=True, slots=True)
class WayInNames:
    providers: UpstreamProviders
    connections: Connections
    orgs: OrgRepository

    def __call__(self, provider: str) -> ProviderName:
        """The provider of this id by name; its id when it is gone (a connection removed, a
        provider deleted, since)."""
        connection_id = connection_named_by(provider)
        if connection_id is not None:
            connection = self.connections.get(connection_id)
            org = self.orgs.get(connection.org_id) if connection is not None else None
            if connection is None or org is None:
                return ProviderName(provider)
            return ProviderName(connection.name, org=org.name)
        if provider == FIREBASE:
            return ProviderName(FIREBASE_NAME)
        found = self.providers.get(provider)
        return ProviderName(found.name if found is not None and found.name else provider)


@dataclass(frozen=True, kw_only=True, slots=True)
class OrgConnectionNames:
    """The names of an org's connections by their ids (``ConnectionNames``), for its audit
    log: an event names a connection by its id (docs/reference/events.md)."""

    connections: Connections

    def __call__(self, org_id: str) -> dict[str, str]:
        return {each.id: each.name for each in self.connections.list_for(org_id)}
