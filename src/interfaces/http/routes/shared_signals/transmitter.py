"""The SSF transmitter (docs/reference/ssf.md): its metadata, and a stream's management by
the client registered with ``--ssf`` that holds it, with its own access token (client
credentials), and the poll endpoint of a poll stream (RFC 8936). Errors are the app's
problems (docs/decisions/0955-the-ssf-transmitters-streams.md)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request

from application.shared_signals.transmitter.streams import NOT_AN_SSF_CLIENT, SsfCaller, Transmitter
from domain.errors import NotFound, PermissionDenied, Unauthenticated
from domain.shared_signals.transmitter.streams import InvalidStreamRequest
from interfaces.http.openapi import doc
from interfaces.http.parsing import read_json_object
from interfaces.http.responses import no_content
from interfaces.http.routes.federation.provider_tokens import provider_token
from interfaces.http.routes.shared_signals.transmitter_schemas import (
    PollIn,
    PollOut,
    StatusIn,
    StatusOut,
    StreamIn,
    StreamOut,
    StreamQuery,
    SubjectIn,
    TransmitterConfiguration,
    VerifyIn,
)
from interfaces.http.schemas.common import Problem
from interfaces.shared.services import services

bp = Blueprint("ssf_transmitter", __name__)
TAGS = ("shared signals",)


def _transmitter() -> Transmitter:
    try:
        return services().of(Transmitter)
    except LookupError:  # the provider is off: no issuer, no keys
        raise NotFound("This service transmits no shared signals.") from None


def _caller() -> SsfCaller:
    """The client of the request's bearer token, a client's own (client credentials)."""
    held = provider_token()
    if held is None:
        raise Unauthenticated("A client's access token is required.", code="invalid_token")
    if held.account is not None or isinstance(held.claims.get("grant_id"), str):
        raise PermissionDenied(
            "A stream is managed with the client's own token (client credentials).",
            code=NOT_AN_SSF_CLIENT,
        )
    return SsfCaller(str(held.claims["client_id"]))


def _json(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _stream_id() -> str | None:
    values = request.args.getlist("stream_id")
    if len(values) > 1:
        raise InvalidStreamRequest("'stream_id' is given once.")
    return values[0] if values else None


@bp.get("/.well-known/ssf-configuration")
@doc(responses={200: TransmitterConfiguration, 404: Problem}, tags=TAGS)
def ssf_configuration() -> Response:
    """The transmitter's metadata (SSF 1.0 §7)."""
    response = _json(_transmitter().configuration())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.post("/ssf/streams")
@doc(
    json=StreamIn,
    responses={201: StreamOut, 403: Problem, 409: Problem},
    auth=True,
    tags=TAGS,
)
def create_stream() -> Response:
    """Create the client's stream (409 ``stream_exists`` if it has one)."""
    body = read_json_object()  # an unreadable body is a 400 whoever sends it
    transmitter, caller = _transmitter(), _caller()
    return _json(transmitter.create(caller, body), status=201)


@bp.get("/ssf/streams")
@doc(
    query=StreamQuery,
    responses={200: StreamOut, 403: Problem, 404: Problem},
    auth=True,
    tags=TAGS,
)
def read_stream() -> Response:
    """The client's stream; without ``stream_id``, a list of its streams (one or none)."""
    transmitter, caller = _transmitter(), _caller()
    return _json(transmitter.read(caller, _stream_id()))


@bp.patch("/ssf/streams")
@doc(
    json=StreamIn,
    responses={200: StreamOut, 403: Problem, 404: Problem},
    auth=True,
    tags=TAGS,
)
def update_stream() -> Response:
    """Change what the body names of the stream (``stream_id``)."""
    body = read_json_object()
    transmitter, caller = _transmitter(), _caller()
    return _json(transmitter.change(caller, body, whole=False))


@bp.put("/ssf/streams")
@doc(
    json=StreamIn,
    responses={200: StreamOut, 403: Problem, 404: Problem},
    auth=True,
    tags=TAGS,
)
def replace_stream() -> Response:
    """Replace the stream's configuration (``stream_id``)."""
    body = read_json_object()
    transmitter, caller = _transmitter(), _caller()
    return _json(transmitter.change(caller, body, whole=True))


@bp.delete("/ssf/streams")
@doc(
    query=StreamQuery,
    responses={204: None, 403: Problem, 404: Problem},
    auth=True,
    tags=TAGS,
)
def delete_stream() -> Response:
    """Delete the stream, its subjects and its SETs not yet taken."""
    transmitter, caller = _transmitter(), _caller()
    transmitter.delete(caller, _stream_id())
    return no_content()


@bp.get("/ssf/streams/status")
@doc(
    query=StreamQuery,
    responses={200: StatusOut, 403: Problem, 404: Problem},
    auth=True,
    tags=TAGS,
)
def stream_status() -> Response:
    """The stream's status: enabled, paused or disabled."""
    transmitter, caller = _transmitter(), _caller()
    return _json(transmitter.status(caller, _stream_id()))


@bp.post("/ssf/streams/status")
@doc(
    json=StatusIn,
    responses={200: StatusOut, 403: Problem, 404: Problem},
    auth=True,
    tags=TAGS,
)
def set_stream_status() -> Response:
    """Enable, pause or disable the stream."""
    body = read_json_object()
    transmitter, caller = _transmitter(), _caller()
    return _json(transmitter.set_status(caller, body))


@bp.post("/ssf/streams/subjects:add")
@doc(
    json=SubjectIn,
    responses={200: None, 403: Problem, 404: Problem},
    auth=True,
    tags=TAGS,
)
def add_subject() -> Response:
    """Follow a subject; one that names no account is accepted and follows nothing."""
    body = read_json_object()
    transmitter, caller = _transmitter(), _caller()
    transmitter.add_subject(caller, body)
    return Response(status=200)


@bp.post("/ssf/streams/subjects:remove")
@doc(
    json=SubjectIn,
    responses={204: None, 403: Problem, 404: Problem},
    auth=True,
    tags=TAGS,
)
def remove_subject() -> Response:
    """Stop following a subject."""
    body = read_json_object()
    transmitter, caller = _transmitter(), _caller()
    transmitter.remove_subject(caller, body)
    return no_content()


@bp.post("/ssf/streams/verify")
@doc(
    json=VerifyIn,
    responses={204: None, 403: Problem, 404: Problem, 429: Problem},
    auth=True,
    tags=TAGS,
)
def verify_stream() -> Response:
    """Send the stream a verification SET with ``state``, after its other SETs."""
    body = read_json_object()
    transmitter, caller = _transmitter(), _caller()
    transmitter.verify(caller, body)
    return no_content()


def _strings(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidStreamRequest(f"'{name}' must be an array of SET identifiers.")
    return value


@bp.post("/ssf/poll/<stream_id>")
@doc(
    json=PollIn,
    responses={200: PollOut, 403: Problem, 404: Problem},
    auth=True,
    tags=TAGS,
)
def poll(stream_id: str) -> Response:
    """RFC 8936: acknowledge SETs (``ack``, ``setErrs``) and take the next ones."""
    body = read_json_object()
    transmitter, caller = _transmitter(), _caller()
    errors = body.get("setErrs", {})
    most = body.get("maxEvents")
    immediately = body.get("returnImmediately")
    if not isinstance(errors, dict):
        raise InvalidStreamRequest("'setErrs' must be an object.")
    if most is not None and (isinstance(most, bool) or not isinstance(most, int) or most < 0):
        raise InvalidStreamRequest("'maxEvents' must be a whole number, 0 or more.")
    if immediately is not None and not isinstance(immediately, bool):
        raise InvalidStreamRequest("'returnImmediately' must be true or false.")
    polled = transmitter.poll(
        caller, stream_id, ack=_strings(body.get("ack"), "ack"), errors=errors, max_events=most
    )
    return _json({"sets": polled.sets, "moreAvailable": polled.more_available})
