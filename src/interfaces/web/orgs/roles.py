"""The Roles section of an organization's page (docs/pages.md, "Organizations";
docs/reference/orgs.md): every role of the org, firegate's and its own, with its description,
its permissions and how many members hold it. Its owners change a role's description and
permissions, add a role and delete one nobody holds, each as the API's use case
(``services().of(OrgServices).roles``); a refused change (an escalation, a role in use, a
bound) shows the section again with the API's message beside the role's form. The web
adapter's composition hands ``ROLES`` to the page (``install_org_page``)."""

from __future__ import annotations

from flask import Response
from flask_babel import lazy_gettext

from application.orgs.services import OrgServices
from application.signin.authentication import Actor
from interfaces.shared.services import services
from interfaces.web.accounts.account import signed_in
from interfaces.web.forms import field
from interfaces.web.orgs.org import OrgSection, done, listed, org_form
from interfaces.web.rendering import bp


def _roles(actor: Actor, org: str) -> dict[str, object]:
    return {"org_roles": services().of(OrgServices).roles.list(actor, org)}


ROLES = OrgSection("roles", "orgs/org_roles.html", _roles, lazy_gettext("Roles"))


def _put(actor: Actor, org: str, role: str) -> Response:
    """As PUT /orgs/{org}/roles/{role}: the description and the permissions typed (one a
    line, or separated by commas)."""
    permissions = listed(field("permissions", required=False))
    services().of(OrgServices).roles.put(
        actor, org, role, field("description", required=False), permissions
    )
    return done("role-saved", ROLES, org)


@bp.post("/account/orgs/<org>/roles")
@signed_in
@org_form("role", ROLES)
def add_org_role(actor: Actor, org: str) -> Response:
    """The role named in the form (one the org has already: changed)."""
    return _put(actor, org, field("role").strip())


@bp.post("/account/orgs/<org>/roles/<role>")
@signed_in
@org_form("roles", ROLES)
def edit_org_role(actor: Actor, org: str, role: str) -> Response:
    return _put(actor, org, role)


@bp.post("/account/orgs/<org>/roles/<role>/delete")
@signed_in
@org_form("roles", ROLES)
def delete_org_role(actor: Actor, org: str, role: str) -> Response:
    """As DELETE /orgs/{org}/roles/{role}: refused while a member holds it."""
    services().of(OrgServices).roles.delete(actor, org, role)
    return done("role-deleted", ROLES, org)
