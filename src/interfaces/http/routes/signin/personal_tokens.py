"""Personal access tokens for scripts (docs/reference/tokens.md): made, listed and revoked
by a signed-in session, never by a personal token."""

from __future__ import annotations

from flask import Blueprint, Response

from application.signin.authentication import Actor
from application.signin.personal_tokens import CreateToken, ListTokens, RevokeToken
from application.signin.services import SigninServices
from interfaces.http.auth import session_authenticated, session_authenticated_with_factor
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json, parse_query
from interfaces.http.responses import json_response, no_content
from interfaces.http.schemas.common import PageQuery, Problem
from interfaces.http.schemas.signin.personal_tokens import (
    PersonalTokenCreate,
    PersonalTokenCreated,
    PersonalTokenOut,
    PersonalTokenPage,
)
from interfaces.shared.services import services

bp = Blueprint("personal_tokens", __name__, url_prefix="/auth/tokens")
TAGS = ("sessions",)
NO_STORE = {"Cache-Control": "no-store"}


@bp.post("")
@doc(
    json=PersonalTokenCreate,
    responses={201: PersonalTokenCreated, 403: Problem, 404: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated_with_factor  # an org may require a second factor of its tokens too
def create_token(actor: Actor) -> Response:
    """A personal access token (``fgp_…``) for scripts, acting in ``org`` if given; ``token``
    is shown in this answer only. 403 ``session_required`` for a personal token; 404
    ``org_not_found`` for an org the caller is not a member of."""
    body = parse_json(PersonalTokenCreate)
    created = (
        services()
        .of(SigninServices)
        .personal_tokens.create(
            CreateToken(actor, body.name, tuple(body.scopes), body.expires_in, body.org)
        )
    )
    token = created.token
    out = PersonalTokenCreated(
        id=token.id,
        name=token.name,
        scopes=list(token.scopes),
        expires_at=token.expires_at,
        org_id=token.org_id,
        token=created.text,
    )
    return json_response(out, 201, {"Location": f"/auth/tokens/{token.id}", **NO_STORE})


@bp.get("")
@doc(
    query=PageQuery,
    responses={200: PersonalTokenPage, 403: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def list_tokens(actor: Actor) -> Response:
    """The caller's personal access tokens (never the token itself), newest first."""
    query = parse_query(PageQuery)
    page = (
        services()
        .of(SigninServices)
        .personal_tokens.list(ListTokens(actor, query.limit, query.cursor))
    )
    items = [PersonalTokenOut.of(token) for token in page.items]
    return json_response(PersonalTokenPage(items=items, next_cursor=page.next_cursor))


@bp.delete("/<token_id>")
@doc(responses={204: None, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@session_authenticated
def revoke_token(actor: Actor, token_id: str) -> Response:
    """Revoke one of the caller's tokens: it stops working at once; 404 ``token_not_found``
    for another's or an unknown one."""
    services().of(SigninServices).personal_tokens.revoke(RevokeToken(actor, token_id))
    return no_content()
