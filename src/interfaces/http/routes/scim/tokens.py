"""An org's SCIM tokens (docs/reference/scim.md, "Tokens"): its admins make one for their
directory, list and revoke them, from a signed-in session (never a personal token)."""

from __future__ import annotations

from flask import Blueprint, Response

from application.scim.services import ScimServices
from application.scim.tokens import CreateScimToken, ListScimTokens, RevokeScimToken
from application.signin.authentication import Actor
from interfaces.http.auth import session_authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json, parse_query
from interfaces.http.responses import json_response, no_content
from interfaces.http.schemas.common import PageQuery, Problem
from interfaces.http.schemas.scim.tokens import (
    ScimTokenCreate,
    ScimTokenCreated,
    ScimTokenOut,
    ScimTokenPage,
)
from interfaces.shared.services import services

bp = Blueprint("scim_tokens", __name__, url_prefix="/orgs")
TAGS = ("scim",)


@bp.post("/<org>/scim/tokens")
@doc(
    json=ScimTokenCreate,
    responses={201: ScimTokenCreated, 403: Problem, 404: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def create_scim_token(actor: Actor, org: str) -> Response:
    """A SCIM token (``fgs_…``) for the org's directory (admins); ``token`` is shown in this
    answer only."""
    body = parse_json(ScimTokenCreate)
    created = services().of(ScimServices).tokens.create(CreateScimToken(actor, org, body.name))
    out = ScimTokenCreated(**ScimTokenOut.of(created.token).model_dump(), token=created.text)
    headers = {"Location": f"/orgs/{org}/scim/tokens/{created.token.id}"}
    return json_response(out, 201, {**headers, "Cache-Control": "no-store"})


@bp.get("/<org>/scim/tokens")
@doc(
    query=PageQuery,
    responses={200: ScimTokenPage, 403: Problem, 404: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def list_scim_tokens(actor: Actor, org: str) -> Response:
    """The org's SCIM tokens (admins; never the token itself), newest first."""
    query = parse_query(PageQuery)
    page = (
        services()
        .of(ScimServices)
        .tokens.list(ListScimTokens(actor, org, query.limit, query.cursor))
    )
    items = [ScimTokenOut.of(token) for token in page.items]
    return json_response(ScimTokenPage(items=items, next_cursor=page.next_cursor))


@bp.delete("/<org>/scim/tokens/<token_id>")
@doc(responses={204: None, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@session_authenticated
def revoke_scim_token(actor: Actor, org: str, token_id: str) -> Response:
    """Revoke one of the org's SCIM tokens (admins): the directory's next request with it
    gets 401; 404 ``scim_token_not_found`` for an unknown one."""
    services().of(ScimServices).tokens.revoke(RevokeScimToken(actor, org, token_id))
    return no_content()
