"""A guest merged into the signed-in account (docs/guests.md, "When the way in is someone
else's"): the account redeems the ``merge_token`` a guest's upgrade was answered with."""

from __future__ import annotations

from flask import Blueprint, Response

from application.accounts.accounts import Caller
from application.accounts.guest.merges import MergeGuest
from application.accounts.services import AccountServices
from interfaces.http.auth import session_authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json
from interfaces.http.responses import json_response
from interfaces.http.schemas.accounts.guest_merges import GuestMergeAccepted, GuestMergeRequest
from interfaces.http.schemas.common import Problem
from interfaces.shared.services import services

bp = Blueprint("guest_merges", __name__, url_prefix="/auth/guest")
TAGS = ("accounts",)


@bp.post("/merge")
@doc(
    json=GuestMergeRequest,
    responses={
        202: GuestMergeAccepted,
        400: Problem,
        401: Problem,
        403: Problem,
        404: Problem,
        409: Problem,
        422: Problem,
    },
    auth=True,
    tags=TAGS,
)
@session_authenticated
def merge_guest(actor: Caller) -> Response:
    """Take in the guest a ``merge_token`` offers the signed-in account: 202 once the guest
    is marked (its sessions end at once) and the job that moves its data and deletes it is
    queued. 400 ``invalid_merge_token`` (forged, malformed or expired), 403
    ``merge_token_not_yours`` (another account's), 404 ``guest_not_found``, 409
    ``not_a_guest`` (it signed up meanwhile) or ``guest_merge_started``."""
    body = parse_json(GuestMergeRequest)
    services().of(AccountServices).guest_merges.merge(MergeGuest(actor, body.merge_token))
    return json_response(GuestMergeAccepted(), 202, {"Cache-Control": "no-store"})
