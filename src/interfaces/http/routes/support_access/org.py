"""docs/support-access.md, "In an organization": an org's owner or admin acts as a member."""

from __future__ import annotations

from flask import Blueprint, Response, request

from application.signin.authentication import Actor
from application.support_access.org import ImpersonateMember, OrgSupportAccess
from domain.support_access.impersonation import Grant
from interfaces.http.auth import session_authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json
from interfaces.http.responses import json_response
from interfaces.http.routes.signin.login import token_out
from interfaces.http.routes.support_access.schemas import ImpersonateRequest
from interfaces.http.schemas.accounts.accounts import TokenOut
from interfaces.http.schemas.common import Problem
from interfaces.shared.services import services

bp = Blueprint("org_support_access", __name__, url_prefix="/orgs")
TAGS = ("orgs",)


@bp.post("/<org>/members/<user_id>/impersonate")
@doc(
    json=ImpersonateRequest,
    responses={201: TokenOut, 403: Problem, 404: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def impersonate_member(actor: Actor, org: str, user_id: str) -> Response:
    """An owner or admin whose roles carry ``org:impersonate``: a new session of the member
    for ``minutes``, whose tokens carry ``act``; never of an owner, never where the org's
    ``impersonation`` is ``forbid``."""
    body = parse_json(ImpersonateRequest)
    cmd = ImpersonateMember(
        actor, org, user_id, Grant(body.reason, body.minutes), request.user_agent.string[:256]
    )
    return json_response(token_out(services().of(OrgSupportAccess).impersonate(cmd)), status=201)
