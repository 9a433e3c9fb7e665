"""/account/orgs, a section of the account area (docs/pages.md, "Organizations"): the
person's orgs with their roles, a form to create one, leaving one, the orgs they may join by
their proven address's domain; and the org switcher of the account area's header, which acts
in one of them (or in none) as ``POST /auth/org`` does."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import Response, request

from application.orgs.active import SwitchOrg
from application.orgs.joining.joining import JoinOrg, SuggestedOrgs
from application.orgs.members.members import RemoveMember
from application.orgs.orgs import CreateOrg, ListMyOrgs
from application.orgs.services import OrgServices
from application.signin.authentication import Actor
from interfaces.shared.services import services
from interfaces.web import browser
from interfaces.web.accounts.account import (
    Section,
    account_form,
    done,
    header,
    section_page,
    signed_in,
    signed_in_with_factor,
)
from interfaces.web.forms import field, fields, safe_next
from interfaces.web.rendering import bp, see_other


def org_switcher(actor: Actor) -> dict[str, object]:
    """What the orgs add to the account area's header: its org switcher, the person's orgs
    and the one the session acts in (docs/pages.md, "Organizations")."""
    return {
        "my_orgs": services().of(OrgServices).orgs.mine(ListMyOrgs(actor)),
        "active_org": actor.org,
    }


def _orgs(actor: Actor) -> dict[str, object]:
    """The section's reads: the header's (the person's orgs), and the ones to join."""
    return {
        **header(actor),
        "suggested": services().of(OrgServices).joining.suggested(SuggestedOrgs(actor)),
    }


ORGS = Section("/account/orgs", "orgs/account_orgs.html", _orgs)


@bp.get(ORGS.path)
@signed_in
def account_orgs(actor: Actor) -> Response:
    return section_page(actor, ORGS)


@bp.post(ORGS.path)
@signed_in
@account_form("org-create", ORGS)
def create_org(actor: Actor) -> Response:
    slug, name = fields("slug", "name")
    created = services().of(OrgServices).orgs.create(CreateOrg(actor.user_id, slug.strip(), name))
    return see_other(f"/account/orgs/{created.org.slug.value}?done=org-created")


@bp.post("/account/orgs/<org>/join")
@signed_in
@account_form("org-join", ORGS)
def join_org(actor: Actor, org: str) -> Response:
    """Join, as a member, an org the section suggests (as POST /orgs/{org}/join)."""
    joined = services().of(OrgServices).joining.join(JoinOrg(actor, org))
    return see_other(f"/account/orgs/{joined.org.slug.value}?done=org-joined")


@bp.post("/account/orgs/<org>/leave")
@signed_in
@account_form("org-leave", ORGS)
def leave_org(actor: Actor, org: str) -> Response:
    services().of(OrgServices).members.remove_member(RemoveMember(actor, org, actor.user_id))
    return done("org-left", ORGS)


@bp.post("/account/org")
@signed_in_with_factor
@account_form("org-switch", ORGS, placed={"mfa_setup_required": "mfa"})
def switch_org(actor: Actor) -> Response:
    """The header's switcher: ``org`` (a slug; empty: none), then back to ``next``."""
    chosen = field("org", required=False).strip() or None
    switched = services().of(OrgServices).active.switch(SwitchOrg(actor, chosen))
    back = safe_next(request.form.get("next"), ORGS.path)
    response = see_other(back + ("&" if "?" in back else "?") + urlencode({"done": "org-switched"}))
    session = actor.session  # there is one: the switch ended in 401 otherwise
    left = (session.expires_at - datetime.now(UTC)).total_seconds() if session else 0
    browser.renewed(response, switched.access_token, max(0, int(left)))
    return response
