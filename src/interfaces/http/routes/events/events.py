"""Security events: the caller's own, and any account's for an admin (docs/reference/events.md)."""

from __future__ import annotations

from flask import Blueprint, Response

from application.events.security_events import EventQuery
from application.events.services import EventServices
from application.signin.authentication import Actor
from interfaces.http.auth import authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_query
from interfaces.http.responses import json_response
from interfaces.http.schemas.common import Problem
from interfaces.http.schemas.events.events import EventListQuery, EventOut, EventPage
from interfaces.shared.services import services

bp = Blueprint("events", __name__)
TAGS = ("events",)


def _events(actor: Actor, user_id: str | None) -> Response:
    query = parse_query(EventListQuery)
    page = (
        services()
        .of(EventServices)
        .history.list(
            EventQuery(actor, query.limit, query.cursor, type=query.type, user_id=user_id)
        )
    )
    items = [EventOut.of(event) for event in page.items]
    return json_response(EventPage(items=items, next_cursor=page.next_cursor))


@bp.get("/auth/events")
@doc(query=EventListQuery, responses={200: EventPage, 403: Problem}, auth=True, tags=TAGS)
@authenticated
def own_events(actor: Actor) -> Response:
    """The caller's security events, newest first, paginated; ``?type=`` filters."""
    return _events(actor, None)


@bp.get("/users/<user_id>/events")
@doc(
    query=EventListQuery,
    responses={200: EventPage, 403: Problem, 404: Problem},
    auth=True,
    tags=TAGS,
)
@authenticated
def user_events(actor: Actor, user_id: str) -> Response:
    """An account's security events, newest first (admins only)."""
    return _events(actor, user_id)
