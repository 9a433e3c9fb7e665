"""An organization's page (docs/pages.md, "Organizations"), in sections each at its own
address under /account/orgs/{slug}: settings, members, roles, invitations, domains, single
sign-on, SCIM, apps and events. The roles' section is in interfaces/web/orgs/roles.py; single
sign-on's, SCIM's and the apps' sections are theirs (interfaces/web/sso/org.py,
interfaces/web/scim/org.py, interfaces/web/clients/org_apps.py);
the web adapter's composition hands every section to the page (``install_org_page``).
Members see what they may read; admins' and owners' forms are the API's routes' use cases. A
browser's navigation to /orgs/{slug}, the API's address of the org, is sent here
(docs/decisions/0377-the-org-page-s-address.md).

Each form posts to its own address under the page, leads back to its section (303) with a word
of confirmation, and a refused one shows the section again with the message beside its field."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from flask import Response, request
from flask_babel import lazy_gettext

from application.orgs.joining.domains import OrgDomainRequest
from application.orgs.joining.invitations import InviteToOrg, OrgInvitations, RevokeOrgInvitation
from application.orgs.members.members import ChangeRoles, MemberQuery, RemoveMember
from application.orgs.orgs import DeleteOrg, GetOrg, OrgEventQuery, UpdateOrg
from application.orgs.services import OrgServices
from application.pagination import DEFAULT_LIMIT
from application.signin.authentication import Actor
from domain.errors import InvalidInput
from domain.orgs.orgs import RESERVED_SLUGS, OrgRole, allowed
from domain.orgs.roles import Permission
from domain.slots import Slot
from interfaces.shared.services import services
from interfaces.web import translated
from interfaces.web.accounts.account import header, signed_in
from interfaces.web.errors import prefers_html
from interfaces.web.forms import field, form_errors
from interfaces.web.parts import At
from interfaces.web.rendering import bp, see_other

if TYPE_CHECKING:
    from flask_babel.speaklater import LazyString

OrgReads = Callable[..., dict[str, object]]


# The sections install_org_page put on the page, in the order of its navigation: it offers
# only these (a unit left out, the agents' say, leaves no link to its section). The
# process's, as the pages' blueprint is (interfaces/web/__init__.py, ``_fold_once``).
_INSTALLED: list[OrgSection] = []


@dataclass(frozen=True)
class OrgLink:
    """A section's link in the page's navigation: its name, its address, its title."""

    name: str
    path: str
    title: LazyString


def _navigation(slug: str, roles: Sequence[str]) -> list[OrgLink]:
    """The links to the sections the page has that the person's roles open, in order."""
    return [
        OrgLink(section.name, section.path(slug), section.title)
        for section in _INSTALLED
        if section.title is not None
        and (section.seen_by is None or allowed(roles, section.seen_by))
    ]


def _org(actor: Actor, org: str) -> dict[str, object]:
    """What every section shows: the header's, the org (404 unless a member), what the
    person's roles allow and the links to the sections they open."""
    seen = services().of(OrgServices).orgs.get(GetOrg(actor, org))
    roles = seen.membership.roles
    return {
        **header(actor),
        "org": seen.org,
        "me": seen.membership,
        "may": {permission.value: allowed(roles, permission) for permission in Permission},
        "roles": (*(role.value for role in OrgRole), *seen.org.named_roles),
        "navigation": _navigation(seen.org.slug.value, roles),
    }


def _cursor() -> str | None:
    return request.args.get("cursor") if request.method == "GET" else None


def _members(actor: Actor, org: str) -> dict[str, object]:
    query = MemberQuery(actor, org, DEFAULT_LIMIT, _cursor())
    return {"members": services().of(OrgServices).members.members(query), "cursor": _cursor()}


def _invitations(actor: Actor, org: str) -> dict[str, object]:
    return {"invitations": services().of(OrgServices).invitations.list(OrgInvitations(actor, org))}


def _domains(actor: Actor, org: str) -> dict[str, object]:
    return {"domains": services().of(OrgServices).domains.list(OrgDomainRequest(actor, org))}


def _events(actor: Actor, org: str) -> dict[str, object]:
    query = OrgEventQuery(actor, org, DEFAULT_LIMIT, _cursor())
    return {"events": services().of(OrgServices).orgs.event_log(query), "cursor": _cursor()}


def _deletion(actor: Actor, org: str) -> dict[str, object]:
    """How many accounts the org manages, which its deletion deletes (for its owners: 403
    to anyone else); counted on this page alone, which an owner opens to delete the org, as
    it reads each account the org made."""
    seen = services().of(OrgServices).orgs.get(GetOrg(actor, org))
    return {"managed": services().of(OrgServices).orgs.managed_accounts(GetOrg(actor, seen.org.id))}


@dataclass(frozen=True)
class OrgSection:
    """A section of an org's page: its address under /account/orgs/{slug} ("" for the
    settings), its template, what it reads besides the org, and its link in the page's
    navigation: its title, translated from the catalogue of the module that defines it (None:
    no link of its own, and the link of the section named by ``under`` is the current one),
    and who sees it (the members whose roles allow ``seen_by``; None: every member)."""

    name: str
    template: str
    reads: OrgReads | None = None
    title: LazyString | None = None
    seen_by: Permission | None = None
    under: str | None = None

    def path(self, slug: str) -> str:
        return f"/account/orgs/{slug}" + (f"/{self.name}" if self.name != "settings" else "")

    def shown(self, actor: Actor, org: str, **_: str) -> dict[str, object]:
        extra = self.reads(actor, org) if self.reads is not None else {}
        current = self.under or self.name  # the navigation's link marked as this page
        return {**_org(actor, org), **extra, "section": self.name, "current": current}


SETTINGS = OrgSection("settings", "orgs/org_settings.html", title=lazy_gettext("Settings"))
DELETION = OrgSection("delete", "orgs/org_delete.html", _deletion, under="settings")
MEMBERS = OrgSection("members", "orgs/org_members.html", _members, lazy_gettext("Members"))
INVITATIONS = OrgSection(
    "invitations",
    "orgs/org_invitations.html",
    _invitations,
    lazy_gettext("Invitations"),
    Permission.MANAGE_MEMBERS,
)
DOMAINS = OrgSection(
    "domains", "orgs/org_domains.html", _domains, lazy_gettext("Domains"), Permission.MANAGE_ORG
)
EVENTS = OrgSection(
    "events", "orgs/org_events.html", _events, lazy_gettext("Events"), Permission.MANAGE_ORG
)

View = Callable[..., Response]


def org_form(form_id: str, section: OrgSection) -> Callable[[View], View]:
    """``form_errors`` of a form of ``section``: a refused one shows the section again."""
    return form_errors(section.template, form_id=form_id, shown=section.shown)


def done(what: str, section: OrgSection, slug: str) -> Response:
    return see_other(section.path(quote(slug)) + "?" + urlencode({"done": what}))


def _show(section: OrgSection) -> None:
    def show(actor: Actor, org: str) -> Response:
        html = translated.render(section.template, form={}, **section.shown(actor, org))
        return Response(html)

    show.__name__ = f"org_{section.name}"
    rule = "/account/orgs/<org>" + ("" if section is SETTINGS else f"/{section.name}")
    bp.get(rule)(signed_in(show))


def install_org_page(sections: Sequence[OrgSection]) -> None:
    """The page's sections at their addresses, in the order of its navigation (the orgs'
    own, and single sign-on's and SCIM's, defined in their pages' packages): called once, by
    the web adapter's composition."""
    for section in sections:
        _show(section)
        _INSTALLED.append(section)


# -- settings


def listed(text: str) -> list[str]:
    """Names as typed in a text box (the org's own roles, a role's permissions): one a line,
    or separated by commas or spaces."""
    return [role for role in re.split(r"[\s,]+", text) if role]


@bp.post("/account/orgs/<org>/settings")
@signed_in
@org_form("settings", SETTINGS)
def save_org_settings(actor: Actor, org: str) -> Response:
    """As PATCH /orgs/{org}: only what differs from the org as read is sent."""
    seen = services().of(OrgServices).orgs.get(GetOrg(actor, org))
    current = seen.org
    typed: dict[str, object] = {
        "name": field("name"),
        "slug": field("slug").strip(),
        "domain_policy": field("domain_policy"),
        "require_mfa": request.form.get("require_mfa") == "true",
        "custom_roles": listed(field("custom_roles", required=False)),
    }
    now: Mapping[str, object] = {
        "name": current.name,
        "slug": current.slug.value,
        "domain_policy": current.domain_policy.value,
        "require_mfa": current.require_mfa,
        "custom_roles": list(current.custom_roles),
    }
    if allowed(seen.membership.roles, Permission.MANAGE_OWNERS):  # the owners' say
        typed["impersonation"] = request.form.get("impersonation") or "forbid"
        now = {**now, "impersonation": current.impersonation.value}
    changes = tuple((name, value) for name, value in typed.items() if value != now[name])
    if not changes:  # nothing to change: nothing sent, no event
        return done("settings", SETTINGS, current.slug.value)
    updated = services().of(OrgServices).orgs.update(UpdateOrg(actor, org, changes)).org
    return done("settings", SETTINGS, updated.slug.value)


@bp.post("/account/orgs/<org>/delete")
@signed_in
@org_form("delete", DELETION)
def delete_an_org(actor: Actor, org: str) -> Response:
    """Owners delete the org, once they have typed its slug to confirm."""
    seen = services().of(OrgServices).orgs.get(GetOrg(actor, org)).org
    if field("confirm").strip() != seen.slug.value:
        raise InvalidInput.field(
            "confirm", "Type the organization's slug to delete it.", "confirmation_mismatch"
        )
    services().of(OrgServices).orgs.delete(DeleteOrg(actor, seen.id))
    return see_other("/account/orgs?done=org-deleted")


# -- members


def _roles() -> list[str]:
    return request.form.getlist("roles")


@bp.post("/account/orgs/<org>/members/<user_id>/roles")
@signed_in
@org_form("members", MEMBERS)
def change_member_roles(actor: Actor, org: str, user_id: str) -> Response:
    services().of(OrgServices).members.change_roles(ChangeRoles(actor, org, user_id, _roles()))
    return done("roles", MEMBERS, org)


@bp.post("/account/orgs/<org>/members/<user_id>/remove")
@signed_in
@org_form("members", MEMBERS)
def remove_org_member(actor: Actor, org: str, user_id: str) -> Response:
    """An admin removes a member; a member's own button leaves the org."""
    services().of(OrgServices).members.remove_member(RemoveMember(actor, org, user_id))
    if user_id == actor.user_id:
        return see_other("/account/orgs?done=org-left")
    return done("member-removed", MEMBERS, org)


# -- invitations


@bp.post("/account/orgs/<org>/invitations")
@signed_in
@org_form("invite", INVITATIONS)
def invite_to_org(actor: Actor, org: str) -> Response:
    services().of(OrgServices).invitations.create(
        InviteToOrg(actor, org, field("email").strip(), _roles())
    )
    return done("invited", INVITATIONS, org)


@bp.post("/account/orgs/<org>/invitations/<invitation_id>/revoke")
@signed_in
@org_form("invitations", INVITATIONS)
def revoke_invitation(actor: Actor, org: str, invitation_id: str) -> Response:
    services().of(OrgServices).invitations.revoke(RevokeOrgInvitation(actor, org, invitation_id))
    return done("invitation-revoked", INVITATIONS, org)


# -- domains


@bp.post("/account/orgs/<org>/domains")
@signed_in
@org_form("domain-add", DOMAINS)
def add_org_domain(actor: Actor, org: str) -> Response:
    added = (
        services()
        .of(OrgServices)
        .domains.add(OrgDomainRequest(actor, org, field("domain").strip()))
    )
    return see_other(
        DOMAINS.path(quote(org)) + "?" + urlencode({"done": "domain-added"}) + f"#{added.domain}"
    )


@bp.post("/account/orgs/<org>/domains/<domain>/verify")
@signed_in
@org_form("domains", DOMAINS)
def verify_org_domain(actor: Actor, org: str, domain: str) -> Response:
    services().of(OrgServices).domains.verify(OrgDomainRequest(actor, org, domain))
    return done("domain-verified", DOMAINS, org)


@bp.post("/account/orgs/<org>/domains/<domain>/delete")
@signed_in
@org_form("domains", DOMAINS)
def delete_org_domain(actor: Actor, org: str, domain: str) -> Response:
    services().of(OrgServices).domains.delete(OrgDomainRequest(actor, org, domain))
    return done("domain-deleted", DOMAINS, org)


# -- /orgs/{slug} in a browser

_ORG_ADDRESS = re.compile(r"/orgs/(?P<org>[^/]+)")


def org_address() -> Response | None:
    """A browser's navigation to /orgs/{slug} (it asks for HTML before JSON) is sent to the
    org's page; a program gets the API's answer (docs/decisions/0377-the-org-page-s-address.md)."""
    found = _ORG_ADDRESS.fullmatch(request.path)
    if (
        found is None
        or found["org"] in RESERVED_SLUGS  # no org's: a page or route of its own
        or request.method not in ("GET", "HEAD")
        or not prefers_html()
    ):
        return None
    return see_other(SETTINGS.path(quote(found["org"])))


# An org's page's sections at their places, which the units fill through their pages
# (``Pages.fills``).
ORG_SECTIONS = Slot[At[OrgSection]]("an org's page's sections")
