"""/admin: admins find accounts, open one to change it, and invite people (docs/pages.md).
Each action is a POST form that leads back to the account's page with a short confirmation;
a refused one re-renders that page with the message and the use case's status."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from urllib.parse import urlencode

from flask import Response, request
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

from application.accounts.admin import AdminChange, ShowUser, UserQuery
from application.events.security_events import EventQuery
from application.mail.flows import RequestVerification
from application.mail.invitations import Invite
from application.pagination import DEFAULT_LIMIT
from application.provider.api_resources import (
    AddResource,
    AdminAddResource,
    AdminRemoveResource,
    AdminResources,
    ScopeText,
)
from application.provider.clients import (
    AdminClients,
    AdminCreateClient,
    AdminDeleteClient,
    CreateClient,
)
from application.provider.logout import ClientLogouts
from application.signin.authentication import Actor
from application.signin.sessions import EndUserSessions
from application.signin.totp import ResetMfa
from domain.accounts.users import Role, User
from domain.errors import InvalidInput
from domain.events.security_events import Activity
from domain.provider.oauth import SCOPES
from interfaces.shared.services import services
from interfaces.web import browser
from interfaces.web.accounts.account import RECENT_EVENTS
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


def _admin_shown(actor: Actor, prefix: str = "", cursor: str = "", **_: str) -> dict[str, object]:
    """What /admin shows: a page of accounts (the first, where a refused form shows it
    again), and the apps."""
    query = UserQuery(actor, DEFAULT_LIMIT, cursor or None, prefix=prefix)
    return {
        "listing": services().admin.list_users(query),
        "clients": services().oauth_clients.admin_list_clients(AdminClients(actor)),
        "api_resources": services().oauth_resources.admin_list_resources(AdminResources(actor)),
        "scopes": SCOPES,
        "prefix": prefix,
        "cursor": cursor,
        "roles": ROLES,
    }


@bp.get("/admin")
@needs_sign_in
def admin_page(actor: Actor) -> Response:
    prefix, cursor = request.args.get("prefix", ""), request.args.get("cursor", "")
    return page("accounts/admin.html", 200, form={}, **_admin_shown(actor, prefix, cursor))


@bp.post("/admin/invitations")
@needs_sign_in
@form_errors("accounts/admin.html", shown=_admin_shown)
def invite(actor: Actor) -> Response:
    username = field("username", required=False).strip() or None
    email, role = field("email"), field("role", required=False)
    user = services().invitations.invite(
        Invite(actor=actor, username=username, email=email, role=role or None)
    )
    return see_other(f"/admin/users/{user.id}?done=invited")


@bp.post("/admin/clients")
@needs_sign_in
@form_errors(
    "accounts/admin.html",
    form_id="client",
    renamed={"redirect_uri": "redirect_uris", "resource": "resources"},
    shown=_admin_shown,
)
def create_client(actor: Actor) -> Response:
    """Register an app, as ``clients create`` does; its secret is on this answer only."""
    lines = field("redirect_uris").splitlines()
    resources = field("resources", required=False).splitlines()
    client = CreateClient(
        field("name"),
        tuple(line.strip() for line in lines if line.strip()),
        request.form.get("confidential") == "true",
        tuple(request.form.getlist("scope")),
        resources=tuple(line.strip() for line in resources if line.strip()),
        resource_scopes=tuple(request.form.getlist("resource_scope")),
        par_required=request.form.get("require_par") == "true",
        backchannel_logout_uri=field("backchannel_logout_uri", required=False).strip() or None,
        backchannel_logout_session_required=(
            request.form.get("backchannel_logout_session_required") == "true"
        ),
    )
    created = services().oauth_clients.admin_create_client(AdminCreateClient(actor, client))
    return page(
        "accounts/oauth_client_created.html",
        status=201,
        client=created.client,
        secret=created.client_secret,
    )


@bp.get("/admin/clients/<client_id>/logouts")
@needs_sign_in
def client_logouts(actor: Actor, client_id: str) -> Response:
    """The logout tokens sent to the app by back-channel logout, newest first: each
    delivery's status and attempts, as a webhook's are shown."""
    cursor = request.args.get("cursor", "")
    query = ClientLogouts(actor, client_id, DEFAULT_LIMIT, cursor or None)
    client, deliveries = services().oauth_client_logouts.admin_client_logouts(query)
    return page(
        "accounts/admin_client_logouts.html", client=client, deliveries=deliveries, cursor=cursor
    )


@bp.post("/admin/clients/<client_id>/delete")
@needs_sign_in
@form_errors("accounts/admin.html", shown=_admin_shown)
def delete_client(actor: Actor, client_id: str) -> Response:
    """Remove an app that signs in with firegate: its tokens stop working at once."""
    services().oauth_clients.admin_delete_client(AdminDeleteClient(actor, client_id))
    return see_other("/admin#clients")


def _scope_lines(text: str) -> tuple[ScopeText, ...]:
    """The form's scopes, one a line: ``name | description`` or ``name | description |
    Spanish description``."""
    found = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) not in (2, 3):
            raise InvalidInput.field(
                "scopes",
                "One scope a line: name | description | Spanish description (optional).",
                "invalid_scope_line",
            )
        found.append(ScopeText(parts[0], parts[1], parts[2] if len(parts) == 3 else None))
    return tuple(found)


@bp.post("/admin/resources")
@needs_sign_in
@form_errors(
    "accounts/admin.html",
    form_id="resource",
    renamed={"scope": "scopes", "description": "scopes", "description_es": "scopes"},
    shown=_admin_shown,
)
def add_resource(actor: Actor) -> Response:
    """Register an API resource with its scopes, as ``resources add`` does."""
    resource = AddResource(field("uri").strip(), _scope_lines(field("scopes")))
    services().oauth_resources.admin_add_resource(AdminAddResource(actor, resource))
    return see_other("/admin#resources")


@bp.post("/admin/resources/remove")
@needs_sign_in
@form_errors("accounts/admin.html", shown=_admin_shown)
def remove_resource(actor: Actor) -> Response:
    """Remove an API resource (named by the form: a URI does not fit in a path)."""
    services().oauth_resources.admin_remove_resource(AdminRemoveResource(actor, field("uri")))
    return see_other("/admin#resources")


def _user(actor: Actor, user_id: str) -> User:
    """The account an admin opens (403 for anyone else, 404 for no account)."""
    return services().admin.show_user(ShowUser(actor, user_id, as_admin=True)).user


def _events(actor: Actor, user: User) -> Sequence[Activity]:
    return services().events.recent(EventQuery(actor, RECENT_EVENTS, user_id=user.id))


def _user_shown(actor: Actor, user_id: str, **_: str) -> dict[str, object]:
    """The account's page as a refused action shows it again."""
    user = _user(actor, user_id)
    return {"user": user, "roles": ROLES, "done": None, "events": _events(actor, user)}


@bp.get("/admin/users/<user_id>")
@needs_sign_in
def admin_user_page(actor: Actor, user_id: str) -> Response:
    user = _user(actor, user_id)
    done = DONE.get(request.args.get("done", ""))
    events = _events(actor, user)
    return page(
        "accounts/admin_user.html", user=user, roles=ROLES, done=done, form={}, events=events
    )


@bp.post("/admin/users/<user_id>")
@needs_sign_in
@form_errors("accounts/admin_user.html", shown=_user_shown)
def change_user(actor: Actor, user_id: str) -> Response:
    """``role``, or ``disabled`` ("true" or "false"), as PATCH /users/{id} takes them."""
    path = f"/admin/users/{_user(actor, user_id).id}"  # an account that exists
    if "disabled" in request.form:
        value = field("disabled")
        if value not in ("true", "false"):
            raise InvalidInput.field("disabled", "Must be true or false.", "invalid_disabled")
        change = AdminChange(actor=actor, user_id=user_id, disabled=value == "true")
        services().admin.change_user(change)
        return see_other(f"{path}?done={'disabled' if value == 'true' else 'enabled'}")
    services().admin.change_user(AdminChange(actor=actor, user_id=user_id, role=field("role")))
    return see_other(f"{path}?done=role")


# The actions on an account that take no input, and what each one's redirect says.
ACTIONS = {"end-sessions": "sessions", "reset-mfa": "mfa", "send-verification": "verification"}


@bp.post(f"/admin/users/<user_id>/<any({', '.join(map(repr, ACTIONS))}):action>")
@needs_sign_in
@form_errors("accounts/admin_user.html", shown=_user_shown)
def act_on_user(actor: Actor, user_id: str, action: str) -> Response:
    path = f"/admin/users/{_user(actor, user_id).id}"  # an account that exists
    if action == "end-sessions":
        services().sessions.end_for_user(EndUserSessions(actor, user_id))
    elif action == "reset-mfa":
        services().totp.reset(ResetMfa(actor=actor, user_id=user_id))
    else:
        services().email.request_verification(RequestVerification(actor, user_id=user_id))
    return see_other(f"{path}?done={ACTIONS[action]}")
