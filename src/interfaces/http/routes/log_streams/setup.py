"""A setup link's holder adds a stream to the link's org, without an account
(docs/reference/log-streams.md, "Setup links")."""

from __future__ import annotations

from flask import Blueprint, Response

from application.log_streams.streams import LogStreams
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_query, read_json_object
from interfaces.http.responses import json_response
from interfaces.http.routes.log_streams.schemas import (
    LinkQuery,
    LinkViewOut,
    StreamIn,
    StreamMadeOut,
)
from interfaces.http.schemas.common import Problem
from interfaces.shared.services import services

bp = Blueprint("log_streams_setup", __name__, url_prefix="/log-streams")
TAGS = ("organizations",)


@bp.get("/setup")
@doc(query=LinkQuery, responses={200: LinkViewOut}, tags=TAGS)
def view_link() -> Response:
    """What the link is for (400 ``invalid_token`` if it opens nothing)."""
    query = parse_query(LinkQuery)
    return json_response(LinkViewOut.of(services().of(LogStreams).link_view(query.token)))


@bp.post("/setup")
@doc(query=LinkQuery, json=StreamIn, responses={201: StreamMadeOut, 409: Problem}, tags=TAGS)
def create_through_link() -> Response:
    """Add the org's stream, as ``POST /orgs/{org}/log-streams`` does; the link is spent."""
    body = read_json_object()
    query = parse_query(LinkQuery)
    made = services().of(LogStreams).create_through_link(query.token, body)
    return json_response(StreamMadeOut.made(made), status=201)
