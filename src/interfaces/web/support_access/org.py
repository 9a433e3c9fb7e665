"""Support access on an org's page (docs/support-access.md, "In an organization"): an owner
or admin whose roles carry org:impersonate acts as a member from the members' section."""

from __future__ import annotations

from flask import Response

from application.signin.authentication import Actor
from application.support_access.org import ImpersonateMember, OrgSupportAccess
from interfaces.shared.services import services
from interfaces.web import browser
from interfaces.web.accounts.account import signed_in
from interfaces.web.orgs.org import MEMBERS, org_form
from interfaces.web.rendering import bp
from interfaces.web.support_access.impersonation import granted, now_acting


@bp.post("/account/orgs/<org>/members/<user_id>/act-as")
@signed_in
@org_form("act-as", MEMBERS)
def act_as_member(actor: Actor, org: str, user_id: str) -> Response:
    """ "Act as" (POST /orgs/{org}/members/{id}/impersonate's): this browser then holds the
    session of the member."""
    cmd = ImpersonateMember(actor, org, user_id, granted(), browser.user_agent())
    return now_acting(services().of(OrgSupportAccess).impersonate(cmd))
