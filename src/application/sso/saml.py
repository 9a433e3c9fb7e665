"""SAML 2.0 sign-in through an org's connection: firegate's service provider metadata, and
the checks an identity provider's answer goes through (docs/reference/sso.md, "SAML";
docs/decisions/0388-the-saml-service-provider.md)."""

from __future__ import annotations

from dataclasses import dataclass

from application.sso.arrival import connection_of
from application.sso.ports import Connections, SamlAssertion, SamlServiceProvider, SpentAssertions
from domain.errors import Unauthenticated
from domain.sso.connections import Connection, ConnectionKind


def saml_connection(connection_id: str, connections: Connections, *, active: bool) -> Connection:
    """The SAML connection of this id (404 ``connection_not_found`` for none, an OpenID one,
    or, with ``active``, one not active: a draft or switched off signs nobody in)."""
    return connection_of(connection_id, connections, ConnectionKind.SAML, active=active)


class SamlSpMetadata:
    """firegate's service provider metadata, one per SAML connection."""

    def __init__(self, *, connections: Connections, sp: SamlServiceProvider) -> None:
        self._connections = connections
        self._sp = sp

    def metadata(self, connection_id: str) -> str:
        """The metadata for a SAML connection in any status, by its id: the IT admin loads
        it into their IdP while the connection is still a draft."""
        return self._sp.metadata(saml_connection(connection_id, self._connections, active=False))


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
) -> tuple[Connection, SamlAssertion]:
    """The active connection (any, as drafted, for a trial) and the assertion its IdP made,
    once: every check of ``SamlServiceProvider.assertion``, then the assertion's id spent
    (401 ``saml_replayed`` for one seen before, under any concurrency)."""
    connection = saml_connection(answer.connection_id, connections, active=not answer.trial)
    if answer.trial:  # a test tries the draft (docs/decisions/0461-sso-drafts-and-apply.md)
        connection = connection.drafted()
    assertion = sp.assertion(connection, answer.response, answer.request_id)
    if not spent.spend(connection.id, assertion.id, assertion.expires_at):
        raise Unauthenticated("This answer was used already.", code="saml_replayed")
    return connection, assertion
