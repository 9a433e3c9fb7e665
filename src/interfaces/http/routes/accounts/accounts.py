"""docs/reference/accounts.md: register, and the caller's own account (login and the
password's change are sign-in's: routes/signin/login.py, on this blueprint; so is PATCH /user,
which changes the phone number by a code too: routes/phone/account.py)."""

from __future__ import annotations

from flask import Blueprint, Response

from application.accounts.accounts import Caller, DeleteUser, GetUser, UpdateProfile
from application.accounts.services import AccountServices
from application.accounts.signups import Register
from domain.accounts.profile import PROFILE_TEXTS
from domain.accounts.users import User
from domain.errors import InvalidInput
from interfaces.http.auth import authenticated, session_authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json
from interfaces.http.responses import json_response, no_content
from interfaces.http.schemas.accounts.accounts import (
    RegisterRequest,
    ReplaceUserRequest,
    UserOut,
)
from interfaces.http.schemas.common import Problem
from interfaces.shared.languages import accepted_locale
from interfaces.shared.limits import client_ip
from interfaces.shared.services import services

bp = Blueprint("accounts", __name__)
TAGS = ("accounts",)


def own_out(user: User) -> UserOut:
    """The account as its owner reads it: the attributes the schema lets the person read."""
    return UserOut.of(user, services().of(AccountServices).profile_schemas.readable(user, "user"))


@bp.post("/register")
@doc(
    json=RegisterRequest,
    responses={201: UserOut, 401: Problem, 403: Problem, 409: Problem, 429: Problem},
    tags=TAGS,
)
def register() -> Response:
    """Create an account. The username and e-mail address must be free. From an address
    that signs up often, 401 `challenge_required` until `challenge_token` carries a passed
    challenge; 403 `signup_not_allowed` where the deployment lets no such address sign up,
    `signup_denied` where its `before_sign_up` hook refuses."""
    return sign_up(parse_json(RegisterRequest))


def sign_up(body: RegisterRequest) -> Response:
    fields = body.model_dump(exclude={"challenge_token"})
    user = (
        services()
        .of(AccountServices)
        .accounts.register(
            Register(
                **fields,
                locale=accepted_locale(),
                client_ip=client_ip(),
                challenge_token=body.challenge_token or "",
            )
        )
    )
    return json_response(own_out(user), 201, {"Location": f"/users/{user.id}"})


@bp.get("/user")
@doc(responses={200: UserOut, 403: Problem}, auth=True, tags=TAGS)
@authenticated
def get_me(actor: Caller) -> Response:
    """The caller's own account."""
    return json_response(own_out(services().of(AccountServices).accounts.get(GetUser(actor))))


def update_profile(actor: Caller, body: ReplaceUserRequest, *, replace: bool) -> Response:
    """PUT (``replace``) or PATCH of the caller's own profile."""
    given = body.model_fields_set
    if replace and not given & {"username", "email"}:
        raise InvalidInput.field(
            "username", "PUT needs a username or an email (or both).", "missing"
        )
    for key in ("username", "email", "attributes"):
        if key in given and getattr(body, key) is None:
            raise InvalidInput.field(key, "May not be null.", "null_not_allowed")
    # PUT clears the profile's texts it leaves out; PATCH changes only what it names.
    cleared = set(PROFILE_TEXTS) if replace else set()
    changes = tuple(
        (key, getattr(body, key))
        for key in ("username", "email", *PROFILE_TEXTS, "locale")
        if key in given or key in cleared
    )
    attributes = tuple((body.attributes or {}).items())
    cmd = UpdateProfile(
        user_id=actor.user_id,
        changes=changes,
        attributes=attributes,
        acting_admin_id=actor.acting_admin_id,
    )
    return json_response(own_out(services().of(AccountServices).accounts.update_profile(cmd)))


@bp.put("/user")
@doc(
    json=ReplaceUserRequest,
    responses={200: UserOut, 403: Problem, 409: Problem, 429: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def replace_me(actor: Caller) -> Response:
    """Replace the profile: username and/or email; omitted name fields are cleared. A guest's
    username and address come with its upgrade: 403 ``guest_upgrade_required``."""
    return update_profile(actor, parse_json(ReplaceUserRequest), replace=True)


@bp.delete("/user")
@doc(responses={204: None, 403: Problem, 409: Problem}, auth=True, tags=TAGS)
@session_authenticated
def delete_me(actor: Caller) -> Response:
    """Delete the account, its sessions and everything it owns; its tokens stop at once.
    409 ``last_owner`` while it is the last owner of an organization with other members."""
    services().of(AccountServices).accounts.delete(DeleteUser(actor))
    return no_content()
