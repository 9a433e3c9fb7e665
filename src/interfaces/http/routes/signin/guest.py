"""A guest's own requests (docs/guests.md): its bearer token, which a code flow it starts
upgrades, and its upgrade in place by a password, the accounts' as every upgrade is; the
guest way in, ``POST /auth/guest``, is the guests unit's (routes/guests/routes.py)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from application.accounts.accounts import Caller, GetUser
from application.accounts.guest.upgrades import GuestSignIn, UpgradeGuest
from application.accounts.services import AccountServices
from application.accounts.signups import SignUpWay
from application.signin.authentication import actor_of
from domain.accounts.guest.part import Guest
from interfaces.http.auth import bearer_actor, session_authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json
from interfaces.http.responses import json_response
from interfaces.http.routes.accounts.accounts import own_out
from interfaces.http.schemas.accounts.accounts import UserOut
from interfaces.http.schemas.common import Problem
from interfaces.http.schemas.signin.guest import GuestUpgradeRequest
from interfaces.shared.limits import client_ip
from interfaces.shared.services import services

bp = Blueprint("guest", __name__)
TAGS = ("accounts",)


def signed_in_guest() -> str | None:
    """The id of the guest whose bearer token a request carries (a code flow it starts
    upgrades it); None without a bearer token or for an account that is no guest (any more),
    whose request is as anyone's. A bearer token that is not valid is a 401."""
    if not request.headers.get("Authorization"):
        return None
    actor = actor_of(bearer_actor())
    user = actor.user or services().of(AccountServices).accounts.get(GetUser(actor))
    return user.id if user.part(Guest).is_guest else None


@bp.post("/auth/guest/upgrade")
@doc(
    json=GuestUpgradeRequest,
    responses={
        200: UserOut,
        401: Problem,
        403: Problem,
        404: Problem,
        409: Problem,
        422: Problem,
        429: Problem,
    },
    auth=True,
    tags=TAGS,
)
@session_authenticated
def upgrade_guest(actor: Caller) -> Response:
    """The signed-in guest signs up in place with a username, an address and a password: the
    same account (its id, its session, what it owns), `guest` no more; the address unverified
    until its verification mail (sent now) is answered. Every rule of a sign-up holds (401
    `challenge_required`, 403 `signup_not_allowed` or `signup_denied`, 422 for a field, a
    breached password's 422); 409 `account_exists` when the username or the address is
    another account's, 409 `not_a_guest` for an account that has signed up already; a
    `before_sign_in` hook's 403 `signin_denied`, asked before anything is stored. The
    session's next access token (a refresh) no longer says `guest`."""
    body = parse_json(GuestUpgradeRequest)
    upgraded = (
        services()
        .of(AccountServices)
        .guest_upgrades.upgrade_guest(
            UpgradeGuest(
                actor.user_id,
                SignUpWay.GUEST_UPGRADE,
                email=body.email,
                username=body.username,
                password=body.password,
                client_ip=client_ip(),
                challenge_token=body.challenge_token or "",
                sign_in=GuestSignIn(user_agent=request.user_agent.string[:256]),
            )
        )
    )
    return json_response(own_out(upgraded.user))
