"""docs/reference/orgs.md, "The active organization": POST /auth/org."""

from __future__ import annotations

from flask import Blueprint, Response

from application.orgs.active import SwitchOrg
from application.orgs.services import OrgServices
from application.signin.authentication import Actor
from interfaces.http.auth import session_authenticated_with_factor
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json
from interfaces.http.responses import json_response
from interfaces.http.schemas.accounts.accounts import AccessTokenOut
from interfaces.http.schemas.common import Problem
from interfaces.http.schemas.orgs.active import SwitchOrgRequest
from interfaces.shared.services import services

bp = Blueprint("active_org", __name__, url_prefix="/auth")
TAGS = ("sessions",)


@bp.post("/org")
@doc(
    json=SwitchOrgRequest,
    responses={200: AccessTokenOut, 403: Problem, 404: Problem, 422: Problem, 429: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated_with_factor
def switch_org(actor: Actor) -> Response:
    """Act in one of the caller's orgs (or in none): a new access token for this session
    names it; the session's refresh token keeps it."""
    body = parse_json(SwitchOrgRequest)
    switched = services().of(OrgServices).active.switch(SwitchOrg(actor, body.org))
    return json_response(AccessTokenOut.model_validate(switched, from_attributes=True))
