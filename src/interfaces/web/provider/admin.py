"""The provider's part of /admin (docs/pages.md): the apps that sign in with firegate, their
back-channel logouts, and the API resources with their scopes. The web adapter's composition
hands ``admin_apps`` to the admin pages (interfaces/web/accounts/admin.py)."""

from __future__ import annotations

from flask import Response, request

from application.clients.api_resources import (
    AddResource,
    AdminAddResource,
    AdminRemoveResource,
    AdminResources,
    ScopeText,
)
from application.clients.clients import (
    AdminClients,
    AdminCreateClient,
    AdminDeleteClient,
    CreateClient,
)
from application.clients.services import ClientServices
from application.pagination import DEFAULT_LIMIT
from application.provider.logout import ClientLogouts
from application.provider.services import ProviderServices
from application.signin.authentication import Actor
from domain.clients.oauth import SCOPES
from domain.errors import InvalidInput
from interfaces.shared.services import services
from interfaces.web.accounts.admin import admin_shown, needs_sign_in
from interfaces.web.forms import field, form_errors
from interfaces.web.rendering import bp, page, see_other


def admin_apps(actor: Actor) -> dict[str, object]:
    """What /admin shows of the provider: the apps, the API resources, the scopes."""
    return {
        "clients": services().of(ClientServices).clients.admin_list_clients(AdminClients(actor)),
        "api_resources": services()
        .of(ClientServices)
        .resources.admin_list_resources(AdminResources(actor)),
        "scopes": SCOPES,
    }


@bp.post("/admin/clients")
@needs_sign_in
@form_errors(
    "accounts/admin.html",
    form_id="client",
    renamed={"redirect_uri": "redirect_uris", "resource": "resources"},
    shown=admin_shown,
)
def create_client(actor: Actor) -> Response:
    """Register an app, as ``clients create`` does; its secret is on this answer only."""
    lines = field("redirect_uris").splitlines()
    resources = field("resources", required=False).splitlines()
    client = CreateClient(
        field("name"),
        tuple(line.strip() for line in lines if line.strip()),
        request.form.get("confidential") == "true",
        tuple(request.form.getlist("scope")),
        resources=tuple(line.strip() for line in resources if line.strip()),
        resource_scopes=tuple(request.form.getlist("resource_scope")),
        par_required=request.form.get("require_par") == "true",
        backchannel_logout_uri=field("backchannel_logout_uri", required=False).strip() or None,
        backchannel_logout_session_required=(
            request.form.get("backchannel_logout_session_required") == "true"
        ),
    )
    created = (
        services().of(ClientServices).clients.admin_create_client(AdminCreateClient(actor, client))
    )
    return page(
        "accounts/oauth_client_created.html",
        status=201,
        client=created.client,
        secret=created.client_secret,
    )


@bp.get("/admin/clients/<client_id>/logouts")
@needs_sign_in
def client_logouts(actor: Actor, client_id: str) -> Response:
    """The logout tokens sent to the app by back-channel logout, newest first: each
    delivery's status and attempts, as a webhook's are shown."""
    cursor = request.args.get("cursor", "")
    query = ClientLogouts(actor, client_id, DEFAULT_LIMIT, cursor or None)
    client, deliveries = services().of(ProviderServices).client_logouts.admin_client_logouts(query)
    return page(
        "accounts/admin_client_logouts.html", client=client, deliveries=deliveries, cursor=cursor
    )


@bp.post("/admin/clients/<client_id>/delete")
@needs_sign_in
@form_errors("accounts/admin.html", shown=admin_shown)
def delete_client(actor: Actor, client_id: str) -> Response:
    """Remove an app that signs in with firegate: its tokens stop working at once."""
    services().of(ClientServices).clients.admin_delete_client(AdminDeleteClient(actor, client_id))
    return see_other("/admin#clients")


def _scope_lines(text: str) -> tuple[ScopeText, ...]:
    """The form's scopes, one a line: ``name | description`` or ``name | description |
    Spanish description``."""
    found = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) not in (2, 3):
            raise InvalidInput.field(
                "scopes",
                "One scope a line: name | description | Spanish description (optional).",
                "invalid_scope_line",
            )
        found.append(ScopeText(parts[0], parts[1], parts[2] if len(parts) == 3 else None))
    return tuple(found)


@bp.post("/admin/resources")
@needs_sign_in
@form_errors(
    "accounts/admin.html",
    form_id="resource",
    renamed={"scope": "scopes", "description": "scopes", "description_es": "scopes"},
    shown=admin_shown,
)
def add_resource(actor: Actor) -> Response:
    """Register an API resource with its scopes, as ``resources add`` does."""
    resource = AddResource(
        field("uri").strip(),
        _scope_lines(field("scopes")),
        min_acr=field("min_acr", required=False).strip() or None,
    )
    services().of(ClientServices).resources.admin_add_resource(AdminAddResource(actor, resource))
    return see_other("/admin#resources")


@bp.post("/admin/resources/remove")
@needs_sign_in
@form_errors("accounts/admin.html", shown=admin_shown)
def remove_resource(actor: Actor) -> Response:
    """Remove an API resource (named by the form: a URI does not fit in a path)."""
    services().of(ClientServices).resources.admin_remove_resource(
        AdminRemoveResource(actor, field("uri"))
    )
    return see_other("/admin#resources")
