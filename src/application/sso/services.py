"""The sso capability's service objects: ``services().of(SsoServices)``
(docs/decisions/0526-services-by-capability.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from application.sso.connections import SsoConnections
    from application.sso.discovery import HomeRealmDiscovery
    from application.sso.expiry import CertificateSweep
    from application.sso.setup import SetupLinks
    from application.sso.signin.logout import SamlLogout
    from application.sso.signin.oidc import OidcSignIn
    from application.sso.signin.saml import SamlSignIn, SamlSpMetadata


@dataclass(frozen=True, kw_only=True, slots=True)
class SsoServices:
    """An org's single sign-on (docs/reference/sso.md)."""

    connections: SsoConnections  # "Connections"
    saml: SamlSpMetadata  # "The service provider"
    saml_signin: SamlSignIn  # "Signing in"
    oidc_signin: OidcSignIn  # "Signing in"
    discovery: HomeRealmDiscovery  # "Home-realm discovery"
    setup: SetupLinks  # "Setup links"
    certificate_sweep: CertificateSweep  # "Certificate expiry"
    saml_logout: SamlLogout  # "Single logout"
