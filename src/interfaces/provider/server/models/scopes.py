"""The scopes a request asks for, against the registered API resources (docs/reference/
oauth.md, "API resources"): each one known, a resource's scope only with that resource and
for a client allowed it (``invalid_scope``), and a token carrying no scope of another
audience (docs/decisions/0425-a-resource-scope-only-in-a-token-for-its-resource.md)."""

from __future__ import annotations

from authlib.oauth2.base import invalid_error_characters
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidScopeError

from application.clients.services import ClientServices
from domain.clients.api_resources import SCOPE_TOKEN, within_permissions
from domain.clients.oauth import SCOPES, scope_list
from domain.signin.active_org import ActiveOrg
from interfaces.provider.server.models.models import Client
from interfaces.shared.services import services

RESOURCE_NOT_FOR_ORG = (
    "The 'resource' does not allow this organization's apps: the service's operator names "
    "the organizations each API resource allows."
)


def _refused(description: str) -> InvalidScopeError:
    # Authlib's descriptions hold printable ASCII but '"' and '\\': a URI or a name with
    # other characters is not repeated
    if invalid_error_characters(description):
        description = "A scope asked for is unknown or not allowed here."
    return InvalidScopeError(description)


def check_known(scope: str | None) -> None:
    """Each scope asked for is firegate's own or a registered resource's."""
    asked = scope_list(scope)
    if all(name in SCOPES for name in asked):
        return  # no read of the resources
    catalogue = services().of(ClientServices).resources.resource_catalogue()
    unknown = next((name for name in asked if not catalogue.knows(name)), None)
    if unknown is not None:
        said = unknown if SCOPE_TOKEN.fullmatch(unknown) and len(unknown) <= 100 else None
        raise _refused(f"Unknown scope: {said}." if said else "A scope asked for is unknown.")


def check_resource_scopes(scope: str | None, resource: str | None, client: Client) -> None:
    """A resource's scope only with ``resource`` its own, and for a client allowed it."""
    asked = scope_list(scope)
    if all(name in SCOPES for name in asked):
        return
    catalogue = services().of(ClientServices).resources.resource_catalogue()
    refusal = catalogue.refusal(asked, resource, client.client.resource_scopes)
    if refusal is not None:
        raise _refused(refusal)


def token_scope(
    scope: str, resource: str | None, client: Client, org: ActiveOrg | None = None
) -> str:
    """The scopes a token for ``resource`` carries of ``scope``: a resource's scope only in
    a token for that resource while it is registered, to a client allowed it, and that the
    person's permissions in the grant's ``org`` allow (a refreshed token's scopes too)."""
    names = scope_list(scope)
    if all(name in SCOPES for name in names):
        return scope
    catalogue = services().of(ClientServices).resources.resource_catalogue()
    if resource is None:
        return " ".join(name for name in names if name in SCOPES)
    within = catalogue.within(names, resource, client.client.resource_scopes)
    return " ".join(within_permissions(within, org.permissions if org is not None else None))


def check_acr(resource: str | None, acr: object) -> None:
    """A person's token for an API resource with a ``min_acr`` only of a sign-in of that
    class or above: ``invalid_grant`` otherwise, at the token endpoint, where RFC 9470's
    ``insufficient_user_authentication`` is a resource's answer and not the token
    endpoint's (docs/decisions/0574-an-api-resources-min-acr.md)."""
    if resource is None:
        return
    catalogue = services().of(ClientServices).resources.resource_catalogue()
    refusal = catalogue.acr_refusal(resource, acr if isinstance(acr, str) else None)
    if refusal is not None:
        raise InvalidGrantError(refusal)


def org_refusal(resource: str | None, client: Client) -> str | None:
    """An org's app has tokens only for a registered API resource that allows the org, as
    the operator says now (docs/decisions/0452-an-orgs-app-gets-what-the-operator-allows.md);
    None for the service's own clients, and for a token for no resource."""
    org_id = client.client.org_id
    if org_id is None or resource is None:
        return None
    allowed = services().of(ClientServices).resources.resource_catalogue().for_org(resource, org_id)
    return None if allowed else RESOURCE_NOT_FOR_ORG
