"""The SSF receiver's push endpoints (RFC 8935; docs/reference/ssf-receiver.md): an org's
IdP's transmitter pushes to ``/ssf/receive/{connection}``, Google's RISC to
``/ssf/receive/google``. 202 once a SET is taken and acted on; 400 with RFC 8935's error
object (``err``, ``description``) when refused, nothing done."""

from __future__ import annotations

import json

from flask import Blueprint, Response, request

from application.shared_signals.receiver.google import GoogleRiscReceiver
from application.shared_signals.receiver.receiving import OrgSetReceiver, Push, Verdict
from domain.shared_signals.receiver.sets import INVALID_REQUEST
from interfaces.shared.services import services

bp = Blueprint("ssf_receiver", __name__)
SET_TYPE = "application/secevent+jwt"
SET_MAX = 64 * 1024  # a SET is a few KB


def _token() -> str | Verdict:
    """The SET pushed, or the refusal of a body that is not one."""
    if request.mimetype != SET_TYPE:
        return Verdict(INVALID_REQUEST, f"The body must be {SET_TYPE}.")
    if (request.content_length or 0) > SET_MAX:
        return Verdict(INVALID_REQUEST, "The SET is too large.")
    body = request.get_data(cache=False)
    if len(body) > SET_MAX or not body:
        return Verdict(INVALID_REQUEST, "The body holds no SET.")
    try:
        return body.decode("ascii").strip()
    except UnicodeDecodeError:
        return Verdict(INVALID_REQUEST, "The body is not a SET.")


def _answer(verdict: Verdict) -> Response:
    if verdict.err is None:
        return Response(status=202)
    body = {"err": verdict.err, "description": verdict.description}
    return Response(json.dumps(body), status=400, mimetype="application/json")


@bp.post("/ssf/receive/google")
def receive_google() -> Response:
    """A RISC SET from Google for the Google upstream."""
    token = _token()
    if isinstance(token, Verdict):
        return _answer(token)
    return _answer(services().of(GoogleRiscReceiver).receive(token))


@bp.post("/ssf/receive/<connection_id>")
def receive(connection_id: str) -> Response:
    """A SET from the transmitter of an org's OpenID connection's IdP."""
    token = _token()
    if isinstance(token, Verdict):
        return _answer(token)
    push = Push(connection_id, token, request.headers.get("Authorization"))
    return _answer(services().of(OrgSetReceiver).receive(push))
