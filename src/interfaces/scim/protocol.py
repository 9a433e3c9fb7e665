"""What the SCIM service announces, and the service of scim2-server that serves it
(docs/reference/scim.md, "Discovery")."""

from __future__ import annotations

from typing import Any

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    EnterpriseUser,
    ETag,
    External,
    Filter,
    Group,
    Patch,
    Reference,
    Resource,
    ResourceType,
    ResponseParameters,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    User,
)
from scim2_server.responses import ScimResponse
from scim2_server.service import ScimService

MAX_RESULTS = 100  # a page's most users (``count``)
BEARER = AuthenticationScheme(
    type=AuthenticationScheme.Type.oauthbearertoken,
    name="SCIM token",
    description="An org's SCIM token (fgs_…), made by its admins: it decides the org",
    spec_uri=Reference[External]("https://datatracker.ietf.org/doc/html/rfc6750"),
    primary=True,
)


def service_provider_config() -> ServiceProviderConfig:
    """What firegate's SCIM service supports: filters, PATCH and ETags; no bulk, no sorting,
    no password change."""
    return ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=True),
        authentication_schemes=[BEARER],
    )


class FiregateScim(ScimService):
    """scim2-server's service, answering a PATCH with the resource (200), as Okta expects
    and RFC 7644 §3.5.2 allows, rather than the bare 204 it may send."""

    def patch_response(
        self,
        base_url: str,
        resource: Resource[Any],
        response_parameters: ResponseParameters[Any],
    ) -> ScimResponse:
        published = self.publish(base_url, resource)
        return self.resource_response(
            published, Context.RESOURCE_REPLACEMENT_RESPONSE, response_parameters
        )


def scim_service() -> ScimService:
    """Users (with the enterprise extension Entra ID and Okta send) and groups."""
    provider = ScimProvider(
        models=(User, EnterpriseUser, Group),
        resource_types=[
            ResourceType.from_resource(User[EnterpriseUser]),
            ResourceType.from_resource(Group),
        ],
        config=service_provider_config(),
    )
    return FiregateScim(provider)
