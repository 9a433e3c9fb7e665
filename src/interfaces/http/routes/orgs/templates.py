"""Role templates: roles every org has, which firegate's admins define
(docs/reference/orgs.md, "Roles every org has")."""

from __future__ import annotations

from flask import Blueprint, Response

from application.orgs.members.templates import PutTemplate, TemplateQuery
from application.orgs.services import OrgServices
from application.signin.authentication import Actor
from interfaces.http.auth import authenticated, session_authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json, parse_query
from interfaces.http.responses import json_response, no_content
from interfaces.http.schemas.common import NoQuery, Problem
from interfaces.http.schemas.orgs.roles import RolePut, TemplateList, TemplateOut
from interfaces.shared.services import services

bp = Blueprint("org_role_templates", __name__, url_prefix="/admin/org-roles")
TAGS = ("organizations",)


@bp.get("")
@doc(query=NoQuery, responses={200: TemplateList, 403: Problem}, auth=True, tags=TAGS)
@authenticated
def list_templates(actor: Actor) -> Response:
    """Admin: every role template, by name, with how many memberships hold it."""
    parse_query(NoQuery)
    found = services().of(OrgServices).templates.list(TemplateQuery(actor))
    return json_response(TemplateList(items=[TemplateOut.of(t) for t in found]))


@bp.get("/<role>")
@doc(query=NoQuery, responses={200: TemplateOut, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@authenticated
def get_template(actor: Actor, role: str) -> Response:
    """Admin: one role template (404 ``role_not_found``)."""
    parse_query(NoQuery)
    return json_response(
        TemplateOut.of(services().of(OrgServices).templates.get(TemplateQuery(actor, role)))
    )


@bp.put("/<role>")
@doc(
    json=RolePut,
    responses={200: TemplateOut, 201: TemplateOut, 403: Problem, 409: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def put_template(actor: Actor, role: str) -> Response:
    """Admin: define a role template (201 when new), a role of every org; its holders'
    permissions in every org follow before this answers. 403 ``template_role`` for owner,
    admin and member; 409 ``too_many_roles``."""
    body = parse_json(RolePut)
    cmd = PutTemplate(actor, role, body.description, body.permissions)
    put = services().of(OrgServices).templates.put(cmd)
    if put.created:
        return json_response(TemplateOut.of(put), 201, {"Location": f"/admin/org-roles/{role}"})
    return json_response(TemplateOut.of(put))


@bp.delete("/<role>")
@doc(responses={204: None, 403: Problem, 404: Problem, 409: Problem}, auth=True, tags=TAGS)
@session_authenticated
def delete_template(actor: Actor, role: str) -> Response:
    """Admin: remove a role template. 409 ``role_in_use`` while a member of any org holds it
    or ``ORG_CREATOR_ROLE`` names it."""
    services().of(OrgServices).templates.delete(TemplateQuery(actor, role))
    return no_content()
