"""An org's own OAuth clients: its admins register, list and delete the apps that belong to
the org (docs/reference/orgs.md, "Apps and tokens of an org")."""

from __future__ import annotations

from flask import Blueprint, Response

from application.clients.clients import (
    CreateClient,
    CreateOrgClient,
    DeleteOrgClient,
    EditOrgClient,
    OrgClients,
)
from application.clients.services import ClientServices
from application.signin.authentication import Actor
from interfaces.http.auth import authenticated, session_authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json, parse_query
from interfaces.http.responses import json_response, no_content
from interfaces.http.schemas.clients.org_clients import (
    OrgClientCreate,
    OrgClientCreated,
    OrgClientList,
    OrgClientOut,
    OrgClientPatch,
)
from interfaces.http.schemas.common import NoQuery, Problem
from interfaces.shared.services import services

bp = Blueprint("org_clients", __name__, url_prefix="/orgs")
TAGS = ("orgs",)
NO_STORE = {"Cache-Control": "no-store"}


@bp.post("/<org>/clients")
@doc(
    json=OrgClientCreate,
    responses={201: OrgClientCreated, 403: Problem, 404: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def create_client(actor: Actor, org: str) -> Response:
    """Register an app of the org (admins), as ``clients create`` does; a confidential
    client's ``client_secret`` is in this answer only."""
    body = parse_json(OrgClientCreate)
    client = CreateClient(
        body.name,
        tuple(body.redirect_uris),
        body.confidential,
        tuple(body.scopes),
        tuple(body.post_logout_redirect_uris),
        resources=tuple(body.resources),
        grants=tuple(body.grants),
        dpop_bound_access_tokens=body.dpop_bound_access_tokens,
        pkce_required=body.pkce == "required",
        resource_scopes=tuple(body.resource_scopes),
        par_required=body.require_pushed_authorization_requests,
        jwks=body.jwks,
        jwks_uri=body.jwks_uri,
        backchannel_logout_uri=body.backchannel_logout_uri,
        backchannel_logout_session_required=body.backchannel_logout_session_required,
        members_only=body.members_only,
    )
    created = (
        services().of(ClientServices).clients.create_org_client(CreateOrgClient(actor, org, client))
    )
    shown = OrgClientOut.of(created.client).model_dump()
    out = OrgClientCreated(**shown, client_secret=created.client_secret)
    location = f"/orgs/{org}/clients/{created.client.client_id}"
    return json_response(out, 201, {"Location": location, **NO_STORE})


@bp.get("/<org>/clients")
@doc(
    query=NoQuery,
    responses={200: OrgClientList, 403: Problem, 404: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@authenticated
def list_clients(actor: Actor, org: str) -> Response:
    """The org's apps, oldest first (admins); never a secret."""
    parse_query(NoQuery)
    found = services().of(ClientServices).clients.org_clients(OrgClients(actor, org))
    return json_response(OrgClientList(items=[OrgClientOut.of(c) for c in found]))


@bp.patch("/<org>/clients/<client_id>")
@doc(
    json=OrgClientPatch,
    responses={200: OrgClientOut, 403: Problem, 404: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def edit_client(actor: Actor, org: str, client_id: str) -> Response:
    """Change an app of the org (admins): its name, redirect URIs, or whether it is for the
    org's members only; 404 ``client_not_found`` for any other app."""
    body = parse_json(OrgClientPatch)
    uris = tuple(body.redirect_uris) if body.redirect_uris is not None else None
    cmd = EditOrgClient(actor, org, client_id, body.name, uris, body.members_only)
    edited = services().of(ClientServices).clients.edit_org_client(cmd)
    return json_response(OrgClientOut.of(edited))


@bp.delete("/<org>/clients/<client_id>")
@doc(responses={204: None, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@session_authenticated
def delete_client(actor: Actor, org: str, client_id: str) -> Response:
    """Remove an app of the org (admins): its tokens stop working; 404
    ``client_not_found`` for any other app."""
    services().of(ClientServices).clients.delete_org_client(DeleteOrgClient(actor, org, client_id))
    return no_content()
