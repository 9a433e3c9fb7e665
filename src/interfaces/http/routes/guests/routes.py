"""Signing in as a guest (docs/guests.md): a new account with no address, username or
password, with GUEST_ACCOUNTS on. Its upgrade in place (``POST /auth/guest/upgrade``) and its
merge are the accounts' own (routes/signin/guest.py, routes/accounts/guest_merges.py)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from application.accounts.services import AccountServices
from application.guests.way_in import Door, Guests, StartGuest
from application.signin.services import SigninServices
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json
from interfaces.http.responses import json_response
from interfaces.http.routes.guests.schemas import GuestRequest
from interfaces.http.routes.signin.login import token_out
from interfaces.http.schemas.accounts.accounts import TokenOut
from interfaces.http.schemas.common import Problem
from interfaces.shared.languages import accepted_locale
from interfaces.shared.limits import client_ip
from interfaces.shared.services import services

bp = Blueprint("guests", __name__)
TAGS = ("accounts",)


@bp.post("/auth/guest")
@doc(
    json=GuestRequest,
    responses={201: TokenOut, 401: Problem, 403: Problem, 404: Problem, 429: Problem},
    tags=TAGS,
)
def start_guest() -> Response:
    """A new guest's token pair (`guest: true` in its access token): an account with no
    address, username or password, until it is upgraded in place. 404 `guests_disabled`
    unless GUEST_ACCOUNTS is on; counted as a sign-up from the client's address, so 401
    `challenge_required` until `challenge_token` carries a passed challenge when that signal
    fires; 403 `signup_not_allowed` or `signup_denied` as for any sign-up."""
    body = parse_json(GuestRequest) if request.get_data(cache=True) else GuestRequest()
    door = Door(
        sign_up=services().of(AccountServices).accounts.register_guest,
        sign_in=services().of(SigninServices).sign_in,
    )
    pair = (
        services()
        .of(Guests)
        .start(
            StartGuest(
                client_ip=client_ip(),
                user_agent=request.user_agent.string[:256],
                challenge_token=body.challenge_token or "",
                locale=accepted_locale(),
            ),
            door,
        )
    )
    return json_response(token_out(pair), 201)
