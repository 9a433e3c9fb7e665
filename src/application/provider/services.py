"""The provider capability's service objects: ``services().of(ProviderServices)``
(docs/decisions/0526-services-by-capability.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from application.provider.apps import AppsWithAccess
    from application.provider.authorization.consent import Consents
    from application.provider.authorization.device import DeviceFlow
    from application.provider.authorization.pushed import PushedAuthorizations
    from application.provider.claims import ProviderAccounts
    from application.provider.grants import CodesAndGrants
    from application.provider.logout import ClientLogoutLog
    from application.provider.minting import TokenMint
    from application.provider.slots import ProviderUnits
    from application.provider.tokens import TokenIntrospection


@dataclass(frozen=True, kw_only=True, slots=True)
class ProviderServices:
    """firegate as an OpenID Connect provider (docs/reference/oauth.md), by room."""

    accounts: ProviderAccounts  # the person a client is told of, "Scopes and claims"
    apps: AppsWithAccess  # "Apps with access"
    client_logouts: ClientLogoutLog  # "Back-channel logout", for admins
    consent: Consents  # what a person allowed, "GET and POST /oauth/authorize"
    device: DeviceFlow  # "Device authorization"
    grants: CodesAndGrants  # codes, grants, refresh tokens: "POST /oauth/token"
    introspection: TokenIntrospection  # "POST /oauth/introspect", userinfo
    minting: TokenMint  # every token the provider issues
    pushed: PushedAuthorizations  # "Pushed authorization requests"
    units: ProviderUnits  # what the units put in its slots (application/provider/slots.py)
