"""docs/reference/sessions.md: refresh, renewal, logout, who am I, and the caller's sessions."""

from __future__ import annotations

from flask import Blueprint, Response

from application.signin.authentication import Actor
from application.signin.services import SigninServices
from application.signin.sessions import EndSession, ListSessions, Logout, Refresh, Renew
from interfaces.http.auth import authenticated, session_authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json, parse_query
from interfaces.http.responses import json_response, no_content
from interfaces.http.routes.signin.login import token_out
from interfaces.http.schemas.accounts.accounts import (
    AccessTokenOut,
    ActiveOrgOut,
    LogoutQuery,
    RefreshRequest,
    TokenOut,
    WhoAmIOut,
)
from interfaces.http.schemas.common import Problem
from interfaces.http.schemas.signin.sessions import SessionList, SessionOut
from interfaces.shared.services import services

bp = Blueprint("sessions", __name__, url_prefix="/auth")
TAGS = ("sessions",)


@bp.post("/refresh")
@doc(
    json=RefreshRequest,
    responses={200: TokenOut, 401: Problem, 403: Problem, 429: Problem},
    tags=TAGS,
)
def refresh() -> Response:
    """Exchange a refresh token for a new pair; the presented refresh token is spent."""
    body = parse_json(RefreshRequest)
    return json_response(
        token_out(services().of(SigninServices).sessions.refresh(Refresh(body.refresh_token)))
    )


@bp.post("/renew")
@doc(responses={200: AccessTokenOut, 403: Problem}, auth=True, tags=TAGS)
@session_authenticated
def renew(actor: Actor) -> Response:
    """A new access token for the same session, while the presented one is unexpired."""
    renewed = services().of(SigninServices).sessions.renew(Renew(actor))
    return json_response(AccessTokenOut.model_validate(renewed, from_attributes=True))


@bp.post("/logout")
@doc(query=LogoutQuery, responses={204: None, 403: Problem, 422: Problem}, auth=True, tags=TAGS)
@session_authenticated
def logout(actor: Actor) -> Response:
    """End this session (``?all=true``: every session); its tokens stop working at once."""
    query = parse_query(LogoutQuery)
    services().of(SigninServices).sessions.logout(Logout(actor, query.all))
    return no_content()


@bp.get("/whoami")
@doc(responses={200: WhoAmIOut, 403: Problem}, auth=True, tags=TAGS)
@authenticated
def whoami(actor: Actor) -> Response:
    """Who the presented access token speaks for."""
    return json_response(
        WhoAmIOut(
            user_id=actor.user_id,
            username=actor.username,
            role=actor.role,
            session_id=actor.session_id,
            expires_at=actor.expires_at,
            amr=list(actor.amr),
            org=None if actor.org is None else ActiveOrgOut.model_validate(actor.org.claim()),
            password_change_required=actor.user is not None and actor.user.password_change_required,
        )
    )


@bp.get("/sessions")
@doc(responses={200: SessionList, 403: Problem}, auth=True, tags=TAGS)
@authenticated
def list_sessions(actor: Actor) -> Response:
    """The caller's active sessions, most recently used first."""
    items = [
        SessionOut.of(session, current=session.id == actor.session_id)
        for session in services().of(SigninServices).sessions.list(ListSessions(actor))
    ]
    return json_response(SessionList(items=items, next_cursor=None))


@bp.delete("/sessions/<session_id>")
@doc(responses={204: None, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@session_authenticated
def end_session(actor: Actor, session_id: str) -> Response:
    """End one of the caller's own sessions."""
    services().of(SigninServices).sessions.end(EndSession(actor, session_id))
    return no_content()
