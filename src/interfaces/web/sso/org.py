"""Single sign-on's section of an organization's page (docs/pages.md, "Organizations";
docs/reference/sso.md): the connections, their setup links, and the org's sign-on policy."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response, request

from application.orgs.orgs import GetOrg, UpdateOrg
from application.signin.authentication import Actor
from application.sso.connections import ConnectionRequest
from application.sso.setup import MakeSetupLink
from interfaces.shared.services import services
from interfaces.web import translated
from interfaces.web.accounts.account import signed_in
from interfaces.web.forms import field
from interfaces.web.orgs.org import OrgSection, done, org_form
from interfaces.web.rendering import bp


def _sso(actor: Actor, org: str) -> dict[str, object]:
    request_of = ConnectionRequest(actor, org)
    links = {seen.connection.id: seen.link for seen in services().sso_setup.list(request_of)}
    return {"connections": services().sso_connections.list(request_of), "setup_links": links}


SSO = OrgSection("sso", "orgs/org_sso.html", _sso)


NEW_CONNECTION = {"new-saml": "saml", "new-oidc": "oidc"}


@bp.post("/account/orgs/<org>/sso/setup-links")
@signed_in
@org_form("setup-link", SSO)
def make_sso_setup_link(actor: Actor, org: str) -> Response:
    """A setup link for a connection or a new one, shown on this answer alone (only its
    hash is kept)."""
    chosen = field("connection")
    kind = NEW_CONNECTION.get(chosen)
    made = services().sso_setup.make(MakeSetupLink(actor, org, None if kind else chosen, kind))
    html = translated.render(SSO.template, form={}, made=made, **SSO.shown(actor, org))
    return Response(html, status=201)


@bp.post("/account/orgs/<org>/sso/<connection_id>/status")
@signed_in
@org_form("connections", SSO)
def change_sso_connection_status(actor: Actor, org: str, connection_id: str) -> Response:
    """Activate (when complete) or switch off a connection."""
    status = field("status")
    changes = {"status": status}
    services().sso_connections.update(ConnectionRequest(actor, org, connection_id, changes))
    return done("connection-" + status, SSO, org)


@bp.post("/account/orgs/<org>/sso/policy")
@signed_in
@org_form("sso-policy", SSO)
def save_sso_policy(actor: Actor, org: str) -> Response:
    """As PATCH /orgs/{org} with ``require_sso`` and ``sso_break_glass``, for owners: the
    owner who saves keeps or gives up their own break-glass place; the others' stay."""
    current = services().orgs.get(GetOrg(actor, org)).org
    others = [user_id for user_id in current.sso_break_glass if user_id != actor.user_id]
    keep_me = request.form.get("break_glass") == "true"
    typed: dict[str, object] = {
        "require_sso": request.form.get("require_sso") == "true",
        "sso_break_glass": [*others, actor.user_id] if keep_me else others,
    }
    now: Mapping[str, object] = {
        "require_sso": current.require_sso,
        "sso_break_glass": list(current.sso_break_glass),
    }
    changes = tuple((name, value) for name, value in typed.items() if value != now[name])
    if changes:  # nothing to change: nothing sent, no event
        services().orgs.update(UpdateOrg(actor, org, changes))
    return done("sso-policy", SSO, current.slug.value)
