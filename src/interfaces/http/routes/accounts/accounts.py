"""docs/reference/accounts.md: register, and the caller's own account (login and the
password's change are sign-in's: routes/signin/login.py; PATCH /user's ``phone_number`` is
changed by a texted code, the phone unit's: routes/phone/account.py)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response

from application.accounts.accounts import Caller, DeleteUser, GetUser, UpdateProfile
from application.accounts.services import AccountServices
from application.accounts.signups import Register
from domain.accounts.profile import PROFILE_TEXTS
from domain.accounts.users import User
from domain.errors import InvalidInput, NotFound
from interfaces.http.auth import authenticated, session_authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json
from interfaces.http.responses import json_response, no_content
from interfaces.http.schemas.accounts.accounts import (
    PatchUserRequest,
    PhoneChangeOut,
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

# PATCH /user's fields that change by a flow of a unit's own, each going alone (with its
# ``challenge_token``): the phone unit's ``phone_number``, proven by a texted code
# (routes/phone/account.py gives it, ``patched_by``, as the app is made). Without the unit, or
# with it off, the field answers 404 as the flow's switch does.
type PatchedBy = Callable[[Caller, PatchUserRequest], Response]
_PATCHED_BY: dict[str, PatchedBy] = {}
_WITH_THE_FIELD = {"challenge_token"}  # what such a field may carry
_OFF = {"phone_number": ("Sign-in by phone is off here.", "phone_disabled")}


def patched_by(field: str, patched: PatchedBy) -> None:
    """``field`` of PATCH /user is changed by ``patched`` (a unit's route module calls this)."""
    _PATCHED_BY[field] = patched


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


@bp.patch("/user")
@doc(
    json=PatchUserRequest,
    responses={
        200: UserOut,
        202: PhoneChangeOut,
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
def patch_me(actor: Caller) -> Response:
    """Change only the fields given (200). With `phone_number`, alone: a code is texted to the
    new number (202 `expires_in`; the same answer whoever holds the number), proven by POST
    /user/phone/verify; the account keeps its number until then. A recent sign-in (403
    `reauthentication_required`); a guest's username, address and number come with its
    upgrade (403 `guest_upgrade_required`); 404 `phone_disabled`; 422 `invalid_phone_number`,
    `phone_number_type`, or `phone_number_alone` with other fields; 429
    `phone_code_rate_limited` (per account: one each 30 s, five an hour) or `sms_budget`."""
    body = parse_json(PatchUserRequest)
    given = body.model_fields_set
    field = next((name for name in ("phone_number", *_PATCHED_BY) if name in given), None)
    if field is None:
        if "challenge_token" in given:
            raise InvalidInput.field(
                "challenge_token", "Only a change of phone number takes one.", "unknown_field"
            )
        return update_profile(actor, body, replace=False)
    if given - {field, *_WITH_THE_FIELD}:
        raise InvalidInput.field(
            field,
            "A phone number changes by a code, on its own: send it without other fields.",
            f"{field}_alone",
        )
    patched = _PATCHED_BY.get(field)
    if patched is None:
        message, code = _OFF[field]
        raise NotFound(message, code=code)
    return patched(actor, body)


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
