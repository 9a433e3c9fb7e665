"""/admin: admins find accounts, open one to change it, and invite people (docs/pages.md).
Each action is a POST form that leads back to the account's page with a short confirmation;
a refused one re-renders that page with the message and the use case's status."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from flask import Response, request
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

from application.identity.authentication import Actor
from domain.errors import InvalidInput
from domain.oauth import SCOPES
from domain.users import Role
from interfaces.web import browser, calls
from interfaces.web.routes import bp, field, form_page, page, see_other

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


@bp.get("/admin")
@needs_sign_in
def admin_page(actor: Actor) -> Response:
    prefix, cursor = request.args.get("prefix", ""), request.args.get("cursor", "")
    listing = calls.admin_search(actor, prefix, cursor)
    clients = calls.admin_clients(actor)
    return page(
        "admin.html",
        listing=listing,
        clients=clients,
        scopes=SCOPES,
        prefix=prefix,
        cursor=cursor,
        roles=ROLES,
        form={},
    )


@bp.post("/admin/invitations")
@needs_sign_in
def invite(actor: Actor) -> Response:
    form_page(  # the page a refusal shows again
        "admin.html",
        prefix="",
        cursor="",
        roles=ROLES,
        read=lambda: _admin_lists(actor),
    )
    username = field("username", required=False).strip() or None
    user = calls.admin_invite(actor, field("email"), username, field("role", required=False))
    return see_other(f"/admin/users/{user.id}?done=invited")


def _admin_lists(actor: Actor) -> dict[str, object]:
    return {
        "listing": calls.admin_search(actor, "", None),
        "clients": calls.admin_clients(actor),
        "scopes": SCOPES,
    }


@bp.post("/admin/clients")
@needs_sign_in
def create_client(actor: Actor) -> Response:
    """Register an app, as ``clients create`` does; its secret is on this answer only."""
    form_page(  # the page a refusal shows again, the form refilled
        "admin.html",
        form_id="client",
        renamed={"redirect_uri": "redirect_uris", "resource": "resources"},
        prefix="",
        cursor="",
        roles=ROLES,
        read=lambda: _admin_lists(actor),
    )
    lines = field("redirect_uris").splitlines()
    resources = field("resources", required=False).splitlines()
    created = calls.admin_create_client(
        actor,
        field("name"),
        tuple(line.strip() for line in lines if line.strip()),
        request.form.get("confidential") == "true",
        tuple(request.form.getlist("scope")),
        resources=tuple(line.strip() for line in resources if line.strip()),
    )
    return page(
        "oauth_client_created.html",
        status=201,
        client=created.client,
        secret=created.client_secret,
    )


@bp.post("/admin/clients/<client_id>/delete")
@needs_sign_in
def delete_client(actor: Actor, client_id: str) -> Response:
    """Remove an app that signs in with firegate: its tokens stop working at once."""
    form_page("admin.html", prefix="", cursor="", roles=ROLES, read=lambda: _admin_lists(actor))
    calls.admin_delete_client(actor, client_id)
    return see_other("/admin#clients")


def _user_page(actor: Actor, user_id: str) -> str:
    """The account's page, also the one a refused action re-renders; its path."""
    user = calls.admin_user(actor, user_id)  # an admin's, of a user who exists
    form_page(
        "admin_user.html",
        user=user,
        roles=ROLES,
        done=None,
        read=lambda: {"events": calls.recent_events(actor, user.id)},
    )
    return f"/admin/users/{user.id}"


@bp.get("/admin/users/<user_id>")
@needs_sign_in
def admin_user_page(actor: Actor, user_id: str) -> Response:
    user = calls.admin_user(actor, user_id)
    done = DONE.get(request.args.get("done", ""))
    events = calls.recent_events(actor, user.id)
    return page("admin_user.html", user=user, roles=ROLES, done=done, form={}, events=events)


@bp.post("/admin/users/<user_id>")
@needs_sign_in
def change_user(actor: Actor, user_id: str) -> Response:
    """``role``, or ``disabled`` ("true" or "false"), as PATCH /users/{id} takes them."""
    path = _user_page(actor, user_id)
    if "disabled" in request.form:
        value = field("disabled")
        if value not in ("true", "false"):
            raise InvalidInput.field("disabled", "Must be true or false.", "invalid_disabled")
        calls.admin_change(actor, user_id, disabled=value == "true")
        return see_other(f"{path}?done={'disabled' if value == 'true' else 'enabled'}")
    calls.admin_change(actor, user_id, role=field("role"))
    return see_other(f"{path}?done=role")


# The actions on an account that take no input: the call, and what its redirect says.
ACTIONS: dict[str, tuple[Callable[[Actor, str], None], str]] = {
    "end-sessions": (calls.admin_end_sessions, "sessions"),
    "reset-mfa": (calls.admin_reset_mfa, "mfa"),
    "send-verification": (calls.admin_send_verification, "verification"),
}


@bp.post(f"/admin/users/<user_id>/<any({', '.join(map(repr, ACTIONS))}):action>")
@needs_sign_in
def act_on_user(actor: Actor, user_id: str, action: str) -> Response:
    path = _user_page(actor, user_id)
    call, done = ACTIONS[action]
    call(actor, user_id)
    return see_other(f"{path}?done={done}")
