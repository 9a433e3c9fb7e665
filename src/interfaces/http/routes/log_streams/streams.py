"""An org's log streams, its owners' (docs/reference/log-streams.md)."""

from __future__ import annotations

from flask import Blueprint, Response
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import BaseConverter

from application.log_streams.streams import LogStreams, StreamQuery
from application.signin.authentication import Actor
from interfaces.http.auth import authenticated, session_authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_query, read_json_object
from interfaces.http.responses import json_response, no_content
from interfaces.http.routes.log_streams.schemas import (
    DeliveryList,
    DeliveryOut,
    LinkOut,
    StreamIn,
    StreamList,
    StreamMadeOut,
    StreamOut,
)
from interfaces.http.schemas.common import NoQuery, Problem
from interfaces.shared.services import services


class StreamIdConverter(BaseConverter):
    """A path segment naming a stream: any but ``setup-links``, a resource of its own (POST
    only), so OPTIONS and a method it lacks on it list what the OpenAPI document says."""

    regex = r"(?!setup-links(?![^/]))[^/]+"


def add_stream_id_converter(state: BlueprintSetupState) -> None:
    """``stream_id`` on the app, before the blueprint's first rule that names it: the unit's
    converter is its own, put on the app by its blueprint."""
    state.app.url_map.converters["stream_id"] = StreamIdConverter


bp = Blueprint("log_streams", __name__, url_prefix="/orgs")
bp.record(add_stream_id_converter)
TAGS = ("organizations",)


def _streams() -> LogStreams:
    return services().of(LogStreams)


@bp.post("/<org>/log-streams")
@doc(
    json=StreamIn,
    responses={201: StreamMadeOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def create_stream(actor: Actor, org: str) -> Response:
    """Add a stream (owners): 422 naming each bad field (``field_not_allowed`` for one its
    kind does not take); 409 ``too_many_streams`` past 3. An https stream's signing secret
    is in the answer, this once."""
    made = _streams().create(StreamQuery(actor, org), read_json_object())
    return json_response(StreamMadeOut.made(made), status=201)


@bp.get("/<org>/log-streams")
@doc(query=NoQuery, responses={200: StreamList, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@authenticated
def list_streams(actor: Actor, org: str) -> Response:
    """The org's streams (owners), oldest first."""
    parse_query(NoQuery)
    found = _streams().streams(StreamQuery(actor, org))
    return json_response(StreamList(items=[StreamOut.of(s) for s in found]))


@bp.get("/<org>/log-streams/<stream_id:stream_id>")
@doc(query=NoQuery, responses={200: StreamOut, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@authenticated
def get_stream(actor: Actor, org: str, stream_id: str) -> Response:
    """One stream (owners); 404 ``stream_not_found``."""
    parse_query(NoQuery)
    return json_response(StreamOut.of(_streams().get(StreamQuery(actor, org, stream_id))))


@bp.delete("/<org>/log-streams/<stream_id:stream_id>")
@doc(responses={204: None, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@session_authenticated
def delete_stream(actor: Actor, org: str, stream_id: str) -> Response:
    """Delete a stream and the events waiting for it (owners)."""
    _streams().delete(StreamQuery(actor, org, stream_id))
    return no_content()


@bp.post("/<org>/log-streams/<stream_id:stream_id>/test")
@doc(responses={200: DeliveryOut, 403: Problem, 404: Problem, 429: Problem}, auth=True, tags=TAGS)
@session_authenticated
def test_stream(actor: Actor, org: str, stream_id: str) -> Response:
    """Send one test event now (owners): what happened, as the delivery log keeps it."""
    return json_response(DeliveryOut.of(_streams().test(StreamQuery(actor, org, stream_id))))


@bp.post("/<org>/log-streams/<stream_id:stream_id>/resume")
@doc(responses={200: StreamOut, 403: Problem, 404: Problem, 409: Problem}, auth=True, tags=TAGS)
@session_authenticated
def resume_stream(actor: Actor, org: str, stream_id: str) -> Response:
    """A paused stream active again (owners): 409 ``stream_not_paused``."""
    return json_response(StreamOut.of(_streams().resume(StreamQuery(actor, org, stream_id))))


@bp.get("/<org>/log-streams/<stream_id:stream_id>/deliveries")
@doc(query=NoQuery, responses={200: DeliveryList, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@authenticated
def list_deliveries(actor: Actor, org: str, stream_id: str) -> Response:
    """The stream's last 100 deliveries, newest first (owners)."""
    parse_query(NoQuery)
    found = _streams().delivery_log(StreamQuery(actor, org, stream_id))
    return json_response(DeliveryList(items=[DeliveryOut.of(d) for d in found]))


@bp.post("/<org>/log-streams/setup-links")
@doc(responses={201: LinkOut, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@session_authenticated
def make_link(actor: Actor, org: str) -> Response:
    """A setup link (owners): whoever holds it adds one stream, without an account, for 7
    days, while its maker is an owner."""
    return json_response(LinkOut.of(_streams().make_link(StreamQuery(actor, org))), status=201)
