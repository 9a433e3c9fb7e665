"""Compatibility: the dogs API's routes on the native use cases (docs/migrating.md).

Its users are the native users, with POST being the admin invitation and PUT/PATCH/DELETE
by the owner or an admin. Its /api/dogs routes are the dogs unit's, its /api/files the files
unit's (their ``compat.py``).
"""

from __future__ import annotations

from typing import Literal

from flask import Blueprint, Response
from pydantic import ConfigDict, EmailStr, Field, RootModel

from application.accounts.accounts import DeleteUser
from application.accounts.admin import AdminChange, RemoveUser
from application.accounts.services import AccountServices
from application.mail.invitations import Invite
from application.mail.services import MailServices
from application.signin.authentication import Actor
from domain.errors import PermissionDenied
from interfaces.http.auth import authenticated, session_authenticated
from interfaces.http.compat import TAGS
from interfaces.http.openapi import doc, same_as
from interfaces.http.parsing import folded, parse_json, read_json_object, validate
from interfaces.http.responses import json_response, no_content
from interfaces.http.routes.accounts import users
from interfaces.http.routes.accounts.accounts import own_out, update_profile
from interfaces.http.schemas.accounts.accounts import (
    Name,
    PatchUserRequest,
    ReplaceUserRequest,
    UserOut,
)
from interfaces.http.schemas.accounts.users import AdminUserChange, UserShown
from interfaces.http.schemas.common import Problem, Strict
from interfaces.shared.services import services

bp = Blueprint("dogs_api", __name__, url_prefix="/api")

for rule, endpoint, view, methods, native in (
    ("/users", "list_users", users.list_users, ["GET"], "GET /users"),
    ("/users/<user_id:user_id>", "get_user", users.get_user, ["GET"], "GET /users/{user_id}"),
):
    summary = f"Dogs API: as {native}."
    bp.add_url_rule(rule, endpoint, same_as(view, summary=summary, tags=TAGS), methods=methods)


class ApiUserInvitation(Strict):
    """The dogs API's user creation: an admin's invitation, its username optional."""

    email: EmailStr = Field(examples=["bob@example.com"])
    name: str | None = Name
    last_name: str | None = Name
    username: str | None = Field(
        default=None,
        min_length=3,
        max_length=32,
        description="Made from the address's local part when absent",
        examples=["bob"],
    )
    role: Literal["user", "uploader", "admin"] | None = None


class ApiUserReplace(RootModel[ReplaceUserRequest | AdminUserChange]):
    """The owner's profile (as PUT /user), or an admin's change of role or disabled (as
    PATCH /users/{id})."""

    model_config = ConfigDict(defer_build=True)  # as every Schema


class ApiUserPatch(RootModel[PatchUserRequest | AdminUserChange]):
    """The owner's profile (as PATCH /user), or an admin's change of role or disabled (as
    PATCH /users/{id})."""

    model_config = ConfigDict(defer_build=True)  # as every Schema


@bp.post("/users")
@doc(
    json=ApiUserInvitation,
    responses={201: UserOut, 403: Problem, 409: Problem},
    auth=True,
    tags=TAGS,
)
@authenticated
def invite(actor: Actor) -> Response:
    """Dogs API: admins create an account and mail its owner a set-password link (native:
    POST /users/invitations; without ``username``, one is made from the address)."""
    body = parse_json(ApiUserInvitation, any_casing=True)
    user = services().of(MailServices).invitations.invite(Invite(actor=actor, **body.model_dump()))
    return json_response(own_out(user), 201, {"Location": f"/users/{user.id}"})


# The replaced API's admin fields; ``attributes`` goes with either kind of change.
_ADMIN_FIELDS = frozenset({"role", "disabled"})
_EITHER = frozenset({"attributes"})


def _change(actor: Actor, user_id: str, *, replace: bool) -> Response:
    """A body of ``role``/``disabled`` (with ``attributes`` or not), or an empty one, is
    PATCH /users/{id}, for admins; any other body (``attributes`` alone included) is the
    owner's own profile change (PUT or PATCH /user)."""
    data = read_json_object()
    keys = {key.casefold() for key in data}
    if keys <= _ADMIN_FIELDS | _EITHER and (not keys or keys & _ADMIN_FIELDS):
        change = validate(AdminUserChange, folded(data, AdminUserChange))
        admin_change = AdminChange(
            actor=actor,
            user_id=user_id,
            role=change.role,
            disabled=change.disabled,
            attributes=tuple((change.attributes or {}).items()),
        )
        return json_response(
            users.admin_out(services().of(AccountServices).admin.change_user(admin_change))
        )
    model = ReplaceUserRequest if replace else PatchUserRequest
    profile = validate(model, folded(data, model))
    if user_id != actor.user_id:
        raise PermissionDenied(
            "Only its owner changes an account's profile; an admin changes role and disabled.",
            code="not_owner",
        )
    return update_profile(actor, profile, replace=replace)


@bp.put("/users/<user_id:user_id>")
@doc(
    json=ApiUserReplace,
    responses={200: UserShown, 403: Problem, 404: Problem, 409: Problem, 429: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def replace_user(actor: Actor, user_id: str) -> Response:
    """Dogs API: replace one's own profile (native: PUT /user), or an admin's change of
    ``role``/``disabled`` (native: PATCH /users/{user_id})."""
    return _change(actor, user_id, replace=True)


@bp.patch("/users/<user_id:user_id>")
@doc(
    json=ApiUserPatch,
    responses={200: UserShown, 403: Problem, 404: Problem, 409: Problem, 429: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def patch_user(actor: Actor, user_id: str) -> Response:
    """Dogs API: change one's own profile (native: PATCH /user), or an admin's change of
    ``role``/``disabled`` (native: PATCH /users/{user_id})."""
    return _change(actor, user_id, replace=False)


@bp.delete("/users/<user_id:user_id>")
@doc(responses={204: None, 403: Problem, 404: Problem, 409: Problem}, auth=True, tags=TAGS)
@session_authenticated
def delete_user(actor: Actor, user_id: str) -> Response:
    """Dogs API: delete one's own account (native: DELETE /user), or, for admins, anyone's
    (native: DELETE /users/{user_id})."""
    if user_id == actor.user_id:
        services().of(AccountServices).accounts.delete(DeleteUser(actor))
    else:
        services().of(AccountServices).admin.remove_user(RemoveUser(actor, user_id))
    return no_content()
