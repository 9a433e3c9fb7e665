"""The Apps section of an organization's page (docs/pages.md, "Organizations";
docs/reference/orgs.md, "Apps and tokens of an org"): the org's own OAuth clients, for its
admins and owners. One is registered here (its secret shown on that answer only), its
redirect URIs and whether it is for the org's members only changed, and it is removed once
confirmed; each is the API's use case (``services().of(ClientServices).clients``). The web adapter's
composition hands ``APPS`` to the page (``install_org_page``)."""

from __future__ import annotations

from flask import Response, request
from flask_babel import lazy_gettext

from application.clients.clients import (
    CreateClient,
    CreateOrgClient,
    DeleteOrgClient,
    EditOrgClient,
    OrgClients,
    no_such_client,
)
from application.clients.services import ClientServices
from application.signin.authentication import Actor
from domain.clients.oauth import SCOPES
from domain.orgs.roles import Permission
from interfaces.shared.services import services
from interfaces.web import translated
from interfaces.web.accounts.account import signed_in
from interfaces.web.forms import field, form_errors
from interfaces.web.orgs.org import OrgSection, done
from interfaces.web.rendering import bp

NO_STORE = {"Cache-Control": "no-store"}
# The API's field names as the forms name their inputs
RENAMED = {"redirect_uri": "redirect_uris", "scope": "scopes"}


def _apps(actor: Actor, org: str) -> dict[str, object]:
    return {
        "apps": services().of(ClientServices).clients.org_clients(OrgClients(actor, org)),
        "scopes": SCOPES,
    }


APPS = OrgSection(
    "apps", "clients/org_apps.html", _apps, lazy_gettext("Apps"), Permission.MANAGE_ORG
)


def _uris() -> tuple[str, ...]:
    """The redirect URIs typed, one a line."""
    return tuple(line.strip() for line in field("redirect_uris").splitlines() if line.strip())


def _members_only() -> bool:
    return request.form.get("members_only") == "true"


@bp.post("/account/orgs/<org>/apps")
@signed_in
@form_errors(APPS.template, form_id="app", renamed=RENAMED, shown=APPS.shown)
def create_org_app(actor: Actor, org: str) -> Response:
    """As POST /orgs/{org}/clients; a confidential app's secret is on this answer only."""
    client = CreateClient(
        field("name"),
        _uris(),
        request.form.get("confidential") == "true",
        tuple(request.form.getlist("scope")),
        members_only=_members_only(),
    )
    created = (
        services().of(ClientServices).clients.create_org_client(CreateOrgClient(actor, org, client))
    )
    # Shown in this answer only: the page never shows the secret again.
    html = translated.render(APPS.template, form={}, created=created, **APPS.shown(actor, org))
    return Response(html, status=201, headers=NO_STORE)


@bp.post("/account/orgs/<org>/apps/<client_id>")
@signed_in
@form_errors(APPS.template, form_id="apps", renamed=RENAMED, shown=APPS.shown)
def edit_org_app(actor: Actor, org: str, client_id: str) -> Response:
    """As PATCH /orgs/{org}/clients/{client_id}: its redirect URIs and members only."""
    cmd = EditOrgClient(actor, org, client_id, redirect_uris=_uris(), members_only=_members_only())
    services().of(ClientServices).clients.edit_org_client(cmd)
    return done("app-saved", APPS, org)


@bp.get("/account/orgs/<org>/apps/<client_id>/remove")
@signed_in
def confirm_org_app_removal(actor: Actor, org: str, client_id: str) -> Response:
    """The question before an app is removed: its tokens stop working."""
    apps = services().of(ClientServices).clients.org_clients(OrgClients(actor, org))
    removing = next((app for app in apps if app.client_id == client_id), None)
    if removing is None:
        raise no_such_client()
    shown = APPS.shown(actor, org)
    return Response(translated.render(APPS.template, form={}, removing=removing, **shown))


@bp.post("/account/orgs/<org>/apps/<client_id>/remove")
@signed_in
@form_errors(APPS.template, form_id="apps", shown=APPS.shown)
def remove_org_app(actor: Actor, org: str, client_id: str) -> Response:
    """As DELETE /orgs/{org}/clients/{client_id}: its tokens stop working."""
    services().of(ClientServices).clients.delete_org_client(DeleteOrgClient(actor, org, client_id))
    return done("app-removed", APPS, org)
