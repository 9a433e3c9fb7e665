"""Users and roles. Admin-only changes; public fields for everybody else."""

from __future__ import annotations

from flask import Blueprint, Response
from pydantic import BaseModel

from application.accounts.accounts import Caller
from application.accounts.admin import AdminChange, RemoveUser, ShowUser, UserListing, UserQuery
from application.accounts.services import AccountServices
from domain.accounts.users import User
from interfaces.http.auth import authenticated, session_authenticated
from interfaces.http.openapi import PATH_PARAMETERS, doc
from interfaces.http.parsing import parse_json, parse_query
from interfaces.http.responses import json_response, no_content
from interfaces.http.routes.accounts.accounts import own_out
from interfaces.http.schemas.accounts.users import (
    AdminUserChange,
    UserAdminOut,
    UserPage,
    UserPublicOut,
    UserShown,
)
from interfaces.http.schemas.common import PageQuery, Problem
from interfaces.shared.services import services

bp = Blueprint("users", __name__, url_prefix="/users")
TAGS = ("users",)


PATH_PARAMETERS["user_id"] = {
    "type": "string",
    "minLength": 1,
    "pattern": r"^(?!invitations$)[^/]+$",
}


def admin_out(user: User) -> UserAdminOut:
    """The account as an admin reads it: the attributes the schema lets admins read."""
    return UserAdminOut.of(
        user, services().of(AccountServices).profile_schemas.readable(user, "admin")
    )


def listing_out(actor: Caller, listing: UserListing) -> BaseModel:
    if actor.role == "admin":
        return admin_out(listing.user)
    if listing.full:
        return own_out(listing.user)
    return UserPublicOut(id=listing.user.id, username=listing.user.shown_name)


@bp.get("")
@doc(query=PageQuery, responses={200: UserPage, 403: Problem, 422: Problem}, auth=True, tags=TAGS)
@authenticated
def list_users(actor: Caller) -> Response:
    """Users, paginated: id and username for users, everything for admins."""
    query = parse_query(PageQuery)
    page = (
        services().of(AccountServices).admin.list_users(UserQuery(actor, query.limit, query.cursor))
    )
    items = [listing_out(actor, item) for item in page.items]
    return json_response(UserPage(items=items, next_cursor=page.next_cursor))


@bp.get("/<user_id:user_id>")
@doc(responses={200: UserShown, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@authenticated
def get_user(actor: Caller, user_id: str) -> Response:
    """One user: public fields, or all of them for oneself and for admins."""
    return json_response(
        listing_out(actor, services().of(AccountServices).admin.show_user(ShowUser(actor, user_id)))
    )


@bp.patch("/<user_id:user_id>")
@doc(
    json=AdminUserChange,
    responses={200: UserAdminOut, 403: Problem, 404: Problem},
    auth=True,
    tags=TAGS,
)
@authenticated
def change_user(actor: Caller, user_id: str) -> Response:
    """Admin: change ``role``, ``disabled`` or ``attributes`` (those the profile schema lets
    admins write); a role or a disabling takes effect on the target's next request.

    Disabling an account ends every session of the account: its access and refresh tokens
    stop working, and enabling it again brings none of them back; the owner logs in anew.
    """
    body = parse_json(AdminUserChange)
    change = AdminChange(
        actor=actor,
        user_id=user_id,
        role=body.role,
        disabled=body.disabled,
        attributes=tuple((body.attributes or {}).items()),
    )
    return json_response(admin_out(services().of(AccountServices).admin.change_user(change)))


@bp.delete("/<user_id:user_id>")
@doc(responses={204: None, 403: Problem, 404: Problem, 409: Problem}, auth=True, tags=TAGS)
@session_authenticated
def delete_user(actor: Caller, user_id: str) -> Response:
    """Admin: delete the account like DELETE /user does."""
    services().of(AccountServices).admin.remove_user(RemoveUser(actor, user_id))
    return no_content()
