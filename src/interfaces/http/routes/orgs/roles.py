"""An org's roles with their permissions: members read them, owners define them
(docs/reference/orgs.md, "Roles and permissions")."""

from __future__ import annotations

from flask import Blueprint, Response

from application.orgs.services import OrgServices
from application.signin.authentication import Actor
from interfaces.http.auth import authenticated, session_authenticated
from interfaces.http.openapi import PATH_PARAMETERS, doc
from interfaces.http.parsing import parse_json, parse_query
from interfaces.http.responses import json_response, no_content
from interfaces.http.schemas.common import NoQuery, Problem
from interfaces.http.schemas.orgs.roles import RoleList, RoleOut, RolePut
from interfaces.shared.services import services

bp = Blueprint("org_roles", __name__, url_prefix="/orgs")
TAGS = ("organizations",)
PATH_PARAMETERS["role"] = {"type": "string", "pattern": r"^[a-z0-9_:.-]{1,40}$"}


@bp.get("/<org>/roles")
@doc(query=NoQuery, responses={200: RoleList, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@authenticated
def list_roles(actor: Actor, org: str) -> Response:
    """The org's roles, firegate's first, with their permissions (members); with how many
    hold each for its owners and admins."""
    parse_query(NoQuery)
    roles = services().of(OrgServices).roles.list(actor, org)
    return json_response(RoleList(items=[RoleOut.of(role) for role in roles]))


@bp.put("/<org>/roles/<role>")
@doc(
    json=RolePut,
    responses={200: RoleOut, 201: RoleOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def put_role(actor: Actor, org: str, role: str) -> Response:
    """Define a role (owners): a new role of the org's own (201), or the permissions of any
    (200); its holders' permissions follow at once. 409 ``too_many_roles``."""
    body = parse_json(RolePut)
    put = services().of(OrgServices).roles.put(actor, org, role, body.description, body.permissions)
    if put.created:
        return json_response(RoleOut.of(put), 201, {"Location": f"/orgs/{org}/roles/{role}"})
    return json_response(RoleOut.of(put))


@bp.delete("/<org>/roles/<role>")
@doc(
    responses={204: None, 403: Problem, 404: Problem, 409: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def delete_role(actor: Actor, org: str, role: str) -> Response:
    """Remove a role of the org's own (owners). 409 ``role_in_use`` while a member holds it;
    409 ``builtin_role`` for owner, admin and member."""
    services().of(OrgServices).roles.delete(actor, org, role)
    return no_content()
