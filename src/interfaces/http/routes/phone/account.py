"""The account's own phone number (docs/reference/phone.md, "Changing and removing the
number"): PATCH /user with ``phone_number`` texts a code to the new number (the accounts'
route hands the field here, ``patched_by``), POST /user/phone/verify proves it, DELETE
/user/phone removes it, on a blueprint of their own."""

from __future__ import annotations

from flask import Blueprint, Response

from application.accounts.accounts import Caller
from application.phone.change import (
    ChangePhoneNumber,
    PhoneChanges,
    ProvePhoneNumber,
    RemovePhoneNumber,
)
from application.phone.codes import PHONE_DISABLED
from application.signin.authentication import Actor
from domain.errors import NotFound
from interfaces.http.auth import session_authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json
from interfaces.http.responses import json_response, no_content
from interfaces.http.routes.accounts.accounts import TAGS, own_out, patched_by
from interfaces.http.routes.phone.schemas import ProvePhoneNumberRequest
from interfaces.http.schemas.accounts.accounts import PatchUserRequest, PhoneChangeOut, UserOut
from interfaces.http.schemas.common import Problem
from interfaces.shared.languages import accepted_locale
from interfaces.shared.limits import client_ip
from interfaces.shared.services import services

bp = Blueprint("account_phone", __name__)  # the number's proof and removal


def change_number(caller: Caller, body: PatchUserRequest) -> Response:
    """PATCH /user with `phone_number`, alone: a code is texted to the new number (202
    `expires_in`; the same answer whoever holds the number), proven by POST
    /user/phone/verify; the account keeps its number until then (the accounts' route hands
    it here: ``patched_by``)."""
    if not isinstance(caller, Actor):  # a session's, as the route authenticates it
        raise TypeError("PATCH /user is a session's")
    try:
        changes = services().of(PhoneChanges)
    except LookupError:  # an app of this process made with the unit turned off
        raise NotFound("Sign-in by phone is off here.", code=PHONE_DISABLED) from None
    asked = changes.request(
        ChangePhoneNumber(
            actor=caller,
            phone_number=body.phone_number or "",
            client_ip=client_ip(),
            locale=accepted_locale(),
            challenge_token=body.challenge_token or "",
        )
    )
    return json_response(PhoneChangeOut(expires_in=asked.expires_in), 202)


patched_by("phone_number", change_number)


@bp.post("/user/phone/verify")
@doc(
    json=ProvePhoneNumberRequest,
    responses={200: UserOut, 400: Problem, 403: Problem, 404: Problem, 409: Problem, 429: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def prove_phone_number(actor: Actor) -> Response:
    """Prove the new number with the texted code, once: the account's `phone_number` is the
    new one, verified, and the old one is released. A recent sign-in (403
    `reauthentication_required`); 400 `invalid_phone_code` (wrong: five end the change) or
    `invalid_phone_flow` (none asked, spent, replaced, expired); 409 `phone_number_taken`
    when another account proved the number first."""
    body = parse_json(ProvePhoneNumberRequest)
    user = (
        services()
        .of(PhoneChanges)
        .verify(ProvePhoneNumber(actor=actor, code=body.code, client_ip=client_ip()))
    )
    return json_response(own_out(user))


@bp.delete("/user/phone")
@doc(responses={204: None, 403: Problem, 404: Problem, 409: Problem}, auth=True, tags=TAGS)
@session_authenticated
def remove_phone_number(actor: Actor) -> Response:
    """Remove the account's phone number and release it (a recent sign-in: 403
    `reauthentication_required`). 404 `phone_number_not_found` when it has none; 409
    `last_sign_in_method` when the number is its only way in (no password, no address, no
    passkey, no connected account)."""
    services().of(PhoneChanges).remove(RemovePhoneNumber(actor=actor))
    return no_content()
