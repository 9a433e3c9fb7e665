"""docs/support-access.md: an admin acts as a person; the session ends itself."""

from __future__ import annotations

from flask import Blueprint, Response, request

from application.signin.authentication import Actor
from application.support_access.impersonation import EndImpersonation, Impersonate, Impersonation
from domain.support_access.impersonation import Grant
from interfaces.http.auth import session_authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json
from interfaces.http.responses import json_response, no_content
from interfaces.http.routes.signin.login import token_out
from interfaces.http.routes.support_access.schemas import ImpersonateRequest
from interfaces.http.schemas.accounts.accounts import TokenOut
from interfaces.http.schemas.common import Problem
from interfaces.shared.services import services

bp = Blueprint("impersonation", __name__)
TAGS = ("sessions",)


@bp.post("/admin/users/<user_id:user_id>/impersonate")
@doc(
    json=ImpersonateRequest,
    responses={201: TokenOut, 403: Problem, 404: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def impersonate(actor: Actor, user_id: str) -> Response:
    """Admin: a new session of the person for ``minutes``, whose tokens carry ``act``;
    never of an admin, of oneself, or from an impersonated session."""
    body = parse_json(ImpersonateRequest)
    cmd = Impersonate(
        actor, user_id, Grant(body.reason, body.minutes), request.user_agent.string[:256]
    )
    pair = services().of(Impersonation).by_admin(cmd)
    return json_response(token_out(pair), status=201)


@bp.post("/auth/impersonation/end")
@doc(responses={204: None, 403: Problem, 409: Problem}, auth=True, tags=TAGS)
@session_authenticated
def end_impersonation(actor: Actor) -> Response:
    """End this session of support access (409 ``not_impersonating`` for one's own)."""
    services().of(Impersonation).end(EndImpersonation(actor))
    return no_content()
