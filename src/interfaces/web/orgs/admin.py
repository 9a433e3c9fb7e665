"""/admin/orgs: firegate's admins list every organization and delete one, as an operator's
``orgs delete`` does (docs/pages.md, "Organizations")."""

from __future__ import annotations

from flask import Response, request
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

from application.orgs.orgs import AdminOrgDeletion, AdminOrgQuery
from application.pagination import DEFAULT_LIMIT
from application.signin.authentication import Actor
from interfaces.shared.services import services
from interfaces.web.accounts.admin import needs_sign_in
from interfaces.web.forms import form_errors
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
    listing = services().orgs.orgs.admin_list(AdminOrgQuery(actor, DEFAULT_LIMIT, cursor or None))
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
    services().orgs.orgs.admin_delete(AdminOrgDeletion(actor, org_id))
    return see_other("/admin/orgs?done=deleted")
