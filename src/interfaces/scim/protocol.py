"""What the SCIM service announces, and the service of scim2-server that serves it
(docs/reference/scim.md, "Discovery")."""

from __future__ import annotations

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    ETag,
    External,
    Filter,
    Patch,
    Reference,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
)
from scim2_server.service import ScimService

BEARER = AuthenticationScheme(
    type=AuthenticationScheme.Type.oauthbearertoken,
    name="SCIM token",
    description="An org's SCIM token (fgs_…), made by its admins: it decides the org",
    spec_uri=Reference[External]("https://datatracker.ietf.org/doc/html/rfc6750"),
    primary=True,
)


def service_provider_config() -> ServiceProviderConfig:
    """What firegate's SCIM service supports: no bulk, no sorting, no password change."""
    return ServiceProviderConfig(
        patch=Patch(supported=False),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=False, max_results=0),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[BEARER],
    )


def scim_service() -> ScimService:
    return ScimService(ScimProvider(models=(), config=service_provider_config()))
