"""An org's own sender: its owners set the address, check its domain's records and delete it;
its admins read it (docs/reference/org-sender.md)."""

from __future__ import annotations

from flask import Blueprint, Response

from application.org_brand.senders import OrgSenders, PutSender, SenderRequest
from application.signin.authentication import Actor
from interfaces.http.auth import authenticated, session_authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json, parse_query
from interfaces.http.responses import json_response, no_content
from interfaces.http.routes.org_brand.sender_schemas import SenderOut, SenderPut
from interfaces.http.schemas.common import NoQuery, Problem
from interfaces.shared.services import services

bp = Blueprint("org_sender", __name__, url_prefix="/orgs")
TAGS = ("orgs",)


@bp.put("/<org>/sender")
@doc(
    json=SenderPut,
    responses={202: SenderOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def put_sender(actor: Actor, org: str) -> Response:
    """Set the org's sender (owners): an address on one of its verified domains, pending
    until its records are checked; answers the records to publish."""
    body = parse_json(SenderPut)
    put = services().of(OrgSenders).put(PutSender(actor, org, body.address))
    return json_response(SenderOut.of(put), 202)


@bp.get("/<org>/sender")
@doc(
    query=NoQuery,
    responses={200: SenderOut, 403: Problem, 404: Problem, 409: Problem},
    auth=True,
    tags=TAGS,
)
@authenticated
def get_sender(actor: Actor, org: str) -> Response:
    """The org's sender, its state and the records to publish (admins and owners)."""
    parse_query(NoQuery)
    return json_response(SenderOut.of(services().of(OrgSenders).get(SenderRequest(actor, org))))


@bp.post("/<org>/sender/verify")
@doc(
    responses={
        200: SenderOut,
        403: Problem,
        404: Problem,
        409: Problem,
        429: Problem,
        503: Problem,
    },
    auth=True,
    tags=TAGS,
)
@session_authenticated
def verify_sender(actor: Actor, org: str) -> Response:
    """Check the sender's domain's SPF, DKIM and DMARC records now (owners): verified, or
    409 sender_not_aligned naming what is missing."""
    checked = services().of(OrgSenders).verify(SenderRequest(actor, org))
    return json_response(SenderOut.of(checked))


@bp.delete("/<org>/sender")
@doc(responses={204: None, 403: Problem, 404: Problem, 409: Problem}, auth=True, tags=TAGS)
@session_authenticated
def delete_sender(actor: Actor, org: str) -> Response:
    """No sender of its own (owners): mails about the org go from the operator's address."""
    services().of(OrgSenders).delete(SenderRequest(actor, org))
    return no_content()
