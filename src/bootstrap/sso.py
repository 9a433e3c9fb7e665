"""Single sign-on for organizations: its adapters and its use cases bound to them
(docs/reference/sso.md)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from application.orgs.ports import OrgRepository
from application.ports import SecretBox
from application.sso.connections import (
    ConnectionServices,
    ConnectionTools,
    create_connection,
    delete_connection,
    get_connection,
    list_connections,
    update_connection,
)
from application.sso.ports import Connections, SamlMetadata
from bootstrap.platform import Platform
from domain.sso.connections import SpAddresses
from infrastructure.settings import Settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client


@dataclass(frozen=True)
class SsoAdapters:
    connections: Connections
    saml_metadata: SamlMetadata


def build(client: Client) -> SsoAdapters:
    from infrastructure.firestore.sso.connections import FirestoreConnections
    from infrastructure.sso.saml_metadata import Pysaml2Metadata

    return SsoAdapters(connections=FirestoreConnections(client), saml_metadata=Pysaml2Metadata())


def bind_connections(
    own: SsoAdapters,
    settings: Settings,
    *,
    orgs: OrgRepository,
    box: SecretBox,
    platform: Platform,
) -> ConnectionServices:
    """``orgs``: whose admins manage the connections; ``box``: seals OpenID client secrets;
    the connections' own addresses are under PUBLIC_URL."""
    connections, audit = own.connections, platform.audit
    tools = ConnectionTools(metadata=own.saml_metadata, box=box, clock=platform.clock)
    return ConnectionServices(
        create=partial(
            create_connection, orgs=orgs, connections=connections, tools=tools, audit=audit
        ),
        list=partial(list_connections, orgs=orgs, connections=connections),
        get=partial(get_connection, orgs=orgs, connections=connections),
        update=partial(
            update_connection, orgs=orgs, connections=connections, tools=tools, audit=audit
        ),
        delete=partial(delete_connection, orgs=orgs, connections=connections, audit=audit),
        addresses=partial(SpAddresses.of, settings.service.public_url),
    )
