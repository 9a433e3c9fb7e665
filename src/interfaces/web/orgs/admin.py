"""/admin/orgs: firegate's admins list every organization and delete one, as an operator's
``orgs delete`` does; /admin/role-templates: they define the role templates every org has, as
``/admin/org-roles`` of the API does (docs/pages.md, "Organizations"). Not /admin/org-roles:
that path is the JSON API's, and a path answers one way; a browser's navigation there is sent
here, as one to /admin/auth-hooks is to its page."""

from __future__ import annotations

from flask import Response, request
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

from application.orgs.members.templates import PutTemplate, TemplateQuery
from application.orgs.orgs import AdminOrgDeletion, AdminOrgQuery
from application.orgs.services import OrgServices
from application.pagination import DEFAULT_LIMIT
from application.signin.authentication import Actor
from interfaces.shared.services import services
from interfaces.web.accounts.admin import needs_sign_in
from interfaces.web.errors import prefers_html
from interfaces.web.forms import field, form_errors
from interfaces.web.orgs.org import listed
from interfaces.web.rendering import bp, page, see_other

TEMPLATE = "orgs/admin_orgs.html"
DONE: dict[str, LazyString] = {
    "deleted": lazy_gettext(
        "The organization is deleted; its memberships ended with it, "
        "and the accounts it managed are deleted."
    ),
}


def _shown(actor: Actor, cursor: str = "", **_: str) -> dict[str, object]:
    """A page of the orgs (the first, where a refused form shows it again)."""
    listing = (
        services()
        .of(OrgServices)
        .orgs.admin_list(AdminOrgQuery(actor, DEFAULT_LIMIT, cursor or None))
    )
    return {"listing": listing, "cursor": cursor}


@bp.get("/admin/orgs")
@needs_sign_in
def admin_orgs(actor: Actor) -> Response:
    done = DONE.get(request.args.get("done", ""))
    shown = _shown(actor, request.args.get("cursor", ""))
    return page(TEMPLATE, 200, form={}, done=done, **shown)


@bp.post("/admin/orgs/<org_id>/delete")
@needs_sign_in
@form_errors(TEMPLATE, shown=_shown)
def admin_delete_org(actor: Actor, org_id: str) -> Response:
    services().of(OrgServices).orgs.admin_delete(AdminOrgDeletion(actor, org_id))
    return see_other("/admin/orgs?done=deleted")


TEMPLATES = "orgs/admin_org_roles.html"
TEMPLATES_PATH, TEMPLATES_API = "/admin/role-templates", "/admin/org-roles"
TEMPLATES_DONE: dict[str, LazyString] = {
    "saved": lazy_gettext("The role is saved: its holders in every organization have it now."),
    "deleted": lazy_gettext("The role is deleted."),
}


def _templates(actor: Actor, **_: str) -> dict[str, object]:
    return {"templates": services().of(OrgServices).templates.list(TemplateQuery(actor))}


def templates_api_address() -> Response | None:
    """A browser's navigation to the API's /admin/org-roles (it asks for HTML before JSON) is
    sent to this page; a program gets the API's answer."""
    if request.path != TEMPLATES_API or request.method not in ("GET", "HEAD"):
        return None
    return see_other(TEMPLATES_PATH) if prefers_html() else None


@bp.get(TEMPLATES_PATH)
@needs_sign_in
def admin_org_roles(actor: Actor) -> Response:
    done = TEMPLATES_DONE.get(request.args.get("done", ""))
    return page(TEMPLATES, 200, form={}, done=done, **_templates(actor))


def _put(actor: Actor, role: str) -> Response:
    """As PUT /admin/org-roles/{role}: the description and the permissions typed (one a
    line, or separated by commas)."""
    permissions = listed(field("permissions", required=False))
    cmd = PutTemplate(actor, role, field("description", required=False), permissions)
    services().of(OrgServices).templates.put(cmd)
    return see_other(f"{TEMPLATES_PATH}?done=saved")


@bp.post(TEMPLATES_PATH)
@needs_sign_in
@form_errors(TEMPLATES, form_id="template", shown=_templates)
def admin_add_org_role(actor: Actor) -> Response:
    """The role named in the form (a template already: changed)."""
    return _put(actor, field("role").strip())


@bp.post(f"{TEMPLATES_PATH}/<role>")
@needs_sign_in
@form_errors(TEMPLATES, form_id="templates", shown=_templates)
def admin_edit_org_role(actor: Actor, role: str) -> Response:
    return _put(actor, role)


@bp.post(f"{TEMPLATES_PATH}/<role>/delete")
@needs_sign_in
@form_errors(TEMPLATES, form_id="templates", shown=_templates)
def admin_delete_org_role(actor: Actor, role: str) -> Response:
    """As DELETE /admin/org-roles/{role}: refused while a member of any org holds it."""
    services().of(OrgServices).templates.delete(TemplateQuery(actor, role))
    return see_other(f"{TEMPLATES_PATH}?done=deleted")
