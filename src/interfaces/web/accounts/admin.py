"""/admin: admins find accounts, open one to change it, and invite people (docs/pages.md).
Each action is a POST form that leads back to the account's page with a short confirmation;
a refused one re-renders that page with the message and the use case's status.

This module is the admin pages' frame and the accounts' part of them. What the other
capabilities show and do there (the apps and API resources, an invitation, an account's
events, ending its sessions, resetting its second factor, a verification mail) is theirs, in
their pages' packages, given by their units' records (``Unit.pages``); the web adapter hands
it here (``install_admin``, the accounts unit's frame)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlencode

from flask import Response, request
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

from application.accounts.accounts import Caller
from application.accounts.admin import AdminChange, ShowUser, UserListing, UserQuery
from application.accounts.services import AccountServices
from application.pagination import DEFAULT_LIMIT
from domain.accounts.users import Role
from domain.errors import InvalidInput
from domain.slots import Slot
from interfaces.shared.services import services
from interfaces.web import browser
from interfaces.web.forms import field, form_errors
from interfaces.web.rendering import bp, page, see_other

ROLES = tuple(role.value for role in Role)
# What an action's redirect says (``?done=``); anything else says nothing.
DONE: dict[str, LazyString] = {
    "invited": lazy_gettext("The invitation is on its way: a mail with a link to set a password."),
    "role": lazy_gettext("The role is changed."),
    "disabled": lazy_gettext("The account is disabled; every session of it has ended."),
    "enabled": lazy_gettext("The account is enabled; its owner signs in anew."),
    "sessions": lazy_gettext("Every session of the account has ended."),
    "mfa": lazy_gettext(
        "Two-step login is off and the passkeys are removed; every session has ended."
    ),
    "verification": lazy_gettext("A verification mail is on its way."),
}

AdminView = Callable[..., Response]
# What a capability adds to /admin, read for the signed-in Actor
# (application/signin/authentication.py); and to an account's page, for the Actor and the
# account. Handed in by ``install_admin``.
PagePart = Callable[..., Mapping[str, object]]
_PAGE: list[PagePart] = []
_USER_PAGE: list[PagePart] = []


@dataclass(frozen=True)
class UserAction:
    """An action on an account's admin page that takes no input: the last part of its
    address, what its redirect says (``?done=``, a key of ``DONE``), and what it does, called
    with the admin's Actor and the account's id."""

    name: str
    done: str
    act: Callable[..., object]


_ACTIONS: dict[str, UserAction] = {}


def needs_sign_in(view: AdminView) -> AdminView:
    """The signed-in caller for ``view``; signed out, the sign-in page, which leads back.
    Who may do what is the use cases' to say (403 for anyone but an admin)."""

    @wraps(view)
    def wrapper(**args: str) -> Response:
        actor = browser.signed_in()
        if actor is None:
            here = request.path if request.method == "GET" else "/admin"
            if request.method == "GET" and request.query_string:
                here += "?" + request.query_string.decode("utf-8", "replace")
            return see_other("/sign-in?" + urlencode({"next": here}))
        return view(actor, **args)

    return wrapper


def admin_shown(actor: Caller, prefix: str = "", cursor: str = "", **_: str) -> dict[str, object]:
    """What /admin shows: a page of accounts (the first, where a refused form shows it
    again), and what the capabilities add (the apps)."""
    query = UserQuery(actor, DEFAULT_LIMIT, cursor or None, prefix=prefix)
    shown: dict[str, object] = {
        "listing": services().of(AccountServices).admin.list_users(query),
        "prefix": prefix,
        "cursor": cursor,
        "roles": ROLES,
    }
    for part in _PAGE:
        shown.update(part(actor))
    return shown


@bp.get("/admin")
@needs_sign_in
def admin_page(actor: Caller) -> Response:
    prefix, cursor = request.args.get("prefix", ""), request.args.get("cursor", "")
    return page("accounts/admin.html", 200, form={}, **admin_shown(actor, prefix, cursor))


def _user(actor: Caller, user_id: str) -> UserListing:
    """The account an admin opens, with its user parts' rows (403 for anyone else, 404 for
    no account)."""
    return services().of(AccountServices).admin.show_user(ShowUser(actor, user_id, as_admin=True))


def _user_parts(actor: Caller, listing: UserListing) -> dict[str, object]:
    """The account, its user parts' rows, and what the capabilities add to its page (its
    events)."""
    shown: dict[str, object] = {"user": listing.user, "part_rows": listing.shown}
    for part in _USER_PAGE:
        shown.update(part(actor, listing.user))
    return shown


def user_page_shown(actor: Caller, user_id: str, **_: str) -> dict[str, object]:
    """The account's page as a refused action shows it again."""
    return {"roles": ROLES, "done": None, **_user_parts(actor, _user(actor, user_id))}


@bp.get("/admin/users/<user_id>")
@needs_sign_in
def admin_user_page(actor: Caller, user_id: str) -> Response:
    done = DONE.get(request.args.get("done", ""))
    return page(
        "accounts/admin_user.html",
        200,
        roles=ROLES,
        done=done,
        form={},
        **_user_parts(actor, _user(actor, user_id)),
    )


@bp.post("/admin/users/<user_id>")
@needs_sign_in
@form_errors("accounts/admin_user.html", shown=user_page_shown)
def change_user(actor: Caller, user_id: str) -> Response:
    """``role``, or ``disabled`` ("true" or "false"), as PATCH /users/{id} takes them."""
    path = f"/admin/users/{_user(actor, user_id).user.id}"  # an account that exists
    if "disabled" in request.form:
        value = field("disabled")
        if value not in ("true", "false"):
            raise InvalidInput.field("disabled", "Must be true or false.", "invalid_disabled")
        change = AdminChange(actor=actor, user_id=user_id, disabled=value == "true")
        services().of(AccountServices).admin.change_user(change)
        return see_other(f"{path}?done={'disabled' if value == 'true' else 'enabled'}")
    services().of(AccountServices).admin.change_user(
        AdminChange(actor=actor, user_id=user_id, role=field("role"))
    )
    return see_other(f"{path}?done=role")


def act_on_user(actor: Caller, user_id: str, action: str) -> Response:
    path = f"/admin/users/{_user(actor, user_id).user.id}"  # an account that exists
    taken = _ACTIONS[action]
    taken.act(actor, user_id)
    return see_other(f"{path}?done={taken.done}")


def install_admin(
    *,
    page_parts: Sequence[PagePart] = (),
    user_parts: Sequence[PagePart] = (),
    actions: Sequence[UserAction] = (),
) -> None:
    """What the capabilities add to /admin and to an account's page, and the actions on an
    account (one address each, in this order): called once, by the web adapter's
    composition."""
    _PAGE.extend(page_parts)
    _USER_PAGE.extend(user_parts)
    _ACTIONS.update((action.name, action) for action in actions)
    rule = f"/admin/users/<user_id>/<any({', '.join(map(repr, _ACTIONS))}):action>"
    shown_again = form_errors("accounts/admin_user.html", shown=user_page_shown)
    bp.post(rule)(needs_sign_in(shown_again(act_on_user)))


# /admin's slots, which the units fill through their pages (``Pages.fills``): its parts, an
# account's admin page's parts and the actions on an account (one address each).
ADMIN_PARTS = Slot[PagePart]("/admin's parts")
ADMIN_USER_PARTS = Slot[PagePart]("an account's admin page's parts")
ADMIN_ACTIONS = Slot[UserAction]("the actions on an account")
