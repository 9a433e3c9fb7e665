"""Organizations, their members and their audit log (docs/reference/orgs.md).

``{org}`` is an org's id or its slug; an org the caller is not a member of answers 404, like
one that does not exist."""

from __future__ import annotations

from flask import Blueprint, Response

from application.orgs.joining.joining import JoinOrg, SuggestedOrgs
from application.orgs.members.members import (
    ChangeMemberAttributes,
    ChangeRoles,
    MemberAttributesQuery,
    MemberQuery,
    RemoveMember,
)
from application.orgs.orgs import CreateOrg, DeleteOrg, GetOrg, ListMyOrgs, OrgEventQuery, UpdateOrg
from application.orgs.services import OrgServices
from application.signin.authentication import Actor
from interfaces.http.auth import authenticated, session_authenticated
from interfaces.http.openapi import PATH_PARAMETERS, doc
from interfaces.http.parsing import parse_json, parse_query
from interfaces.http.responses import json_response, no_content
from interfaces.http.schemas.common import NoQuery, PageQuery, Problem
from interfaces.http.schemas.orgs.orgs import (
    MemberAttributesOut,
    MemberAttributesPatch,
    MemberOut,
    MemberPage,
    MemberPatch,
    NamedMemberOut,
    OrgCreate,
    OrgEventOut,
    OrgEventPage,
    OrgList,
    OrgOut,
    OrgPatch,
    OrgSummary,
    SuggestedOrg,
    SuggestedOrgList,
)
from interfaces.shared.services import services

bp = Blueprint("orgs", __name__, url_prefix="/orgs")


PATH_PARAMETERS["org"] = {"type": "string", "minLength": 1, "pattern": r"^(?!suggested$)[^/]+$"}
TAGS = ("organizations",)


@bp.post("")
@doc(json=OrgCreate, responses={201: OrgSummary, 403: Problem, 409: Problem}, auth=True, tags=TAGS)
@session_authenticated
def create_org(actor: Actor) -> Response:
    """Create an organization; the caller is its owner. 409 ``slug_taken``."""
    body = parse_json(OrgCreate)
    seen = services().of(OrgServices).orgs.create(CreateOrg(actor.user_id, body.slug, body.name))
    return json_response(OrgSummary.of(seen), 201, {"Location": f"/orgs/{seen.org.id}"})


@bp.get("")
@doc(query=NoQuery, responses={200: OrgList, 403: Problem}, auth=True, tags=TAGS)
@authenticated
def my_orgs(actor: Actor) -> Response:
    """The caller's organizations, by slug, with their roles in each."""
    parse_query(NoQuery)
    found = services().of(OrgServices).orgs.mine(ListMyOrgs(actor))
    return json_response(OrgList(items=[OrgSummary.of(seen) for seen in found]))


@bp.get("/suggested")
@doc(query=NoQuery, responses={200: SuggestedOrgList}, auth=True, tags=TAGS)
@authenticated
def suggested_orgs(actor: Actor) -> Response:
    """The organizations the caller may join: their proven address is on a verified domain
    of the org, whose domain_policy is suggest or auto_join, and they are not a member."""
    parse_query(NoQuery)
    found = services().of(OrgServices).joining.suggested(SuggestedOrgs(actor))
    return json_response(SuggestedOrgList(items=[SuggestedOrg.of(org) for org in found]))


@bp.post("/<org>/join")
@doc(responses={201: OrgSummary, 403: Problem, 404: Problem, 409: Problem}, auth=True, tags=TAGS)
@session_authenticated
def join_org(actor: Actor, org: str) -> Response:
    """Join, as a member, an organization /orgs/suggested offers the caller; 409
    ``already_member``; 404 for any other."""
    seen = services().of(OrgServices).joining.join(JoinOrg(actor, org))
    return json_response(OrgSummary.of(seen), 201, {"Location": f"/orgs/{seen.org.id}"})


@bp.get("/<org:org>")
@doc(responses={200: OrgOut, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@authenticated
def get_org(actor: Actor, org: str) -> Response:
    """One of the caller's organizations (404 for any other)."""
    return json_response(OrgOut.of(services().of(OrgServices).orgs.get(GetOrg(actor, org))))


@bp.patch("/<org:org>")
@doc(
    json=OrgPatch,
    responses={200: OrgOut, 403: Problem, 404: Problem, 409: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def patch_org(actor: Actor, org: str) -> Response:
    """Change the organization's settings (admins); only the fields given change."""
    body = parse_json(OrgPatch)
    changes = tuple((name, getattr(body, name)) for name in sorted(body.model_fields_set))
    return json_response(
        OrgOut.of(services().of(OrgServices).orgs.update(UpdateOrg(actor, org, changes)))
    )


@bp.delete("/<org:org>")
@doc(responses={204: None, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@session_authenticated
def delete_org(actor: Actor, org: str) -> Response:
    """Delete the organization (owners): gone at once, with every membership."""
    services().of(OrgServices).orgs.delete(DeleteOrg(actor, org))
    return no_content()


@bp.get("/<org>/members")
@doc(query=PageQuery, responses={200: MemberPage, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@authenticated
def list_members(actor: Actor, org: str) -> Response:
    """The organization's members by user id, with their usernames and names (and their
    addresses, to the org's owners and admins), paginated."""
    query = parse_query(PageQuery)
    page = (
        services()
        .of(OrgServices)
        .members.members(MemberQuery(actor, org, query.limit, query.cursor))
    )
    items = [NamedMemberOut.named(member) for member in page.items]
    return json_response(MemberPage(items=items, next_cursor=page.next_cursor))


@bp.patch("/<org>/members/<user_id>")
@doc(
    json=MemberPatch,
    responses={200: MemberOut, 403: Problem, 404: Problem, 409: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def change_roles(actor: Actor, org: str, user_id: str) -> Response:
    """Replace a member's roles (admins; an owner's, or owner itself, only by owners).
    409 ``last_owner``."""
    body = parse_json(MemberPatch)
    member = (
        services()
        .of(OrgServices)
        .members.change_roles(ChangeRoles(actor, org, user_id, body.roles))
    )
    return json_response(MemberOut.of(member))


@bp.delete("/<org>/members/<user_id>")
@doc(responses={204: None, 403: Problem, 404: Problem, 409: Problem}, auth=True, tags=TAGS)
@session_authenticated
def remove_member(actor: Actor, org: str, user_id: str) -> Response:
    """Remove a member (admins; an owner only by owners), or leave with one's own id.
    409 ``last_owner``."""
    services().of(OrgServices).members.remove_member(RemoveMember(actor, org, user_id))
    return no_content()


@bp.get("/<org>/members/<user_id>/attributes")
@doc(
    query=NoQuery,
    responses={200: MemberAttributesOut, 403: Problem, 404: Problem},
    auth=True,
    tags=TAGS,
)
@authenticated
def member_attributes(actor: Actor, org: str, user_id: str) -> Response:
    """A member's profile attributes the schema lets ``org_admin`` read (owners and
    admins)."""
    parse_query(NoQuery)
    query = MemberAttributesQuery(actor, org, user_id)
    found = services().of(OrgServices).member_attributes.show(query)
    return json_response(MemberAttributesOut(attributes=found))


@bp.patch("/<org>/members/<user_id>/attributes")
@doc(
    json=MemberAttributesPatch,
    responses={200: MemberAttributesOut, 403: Problem, 404: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def change_member_attributes(actor: Actor, org: str, user_id: str) -> Response:
    """Write a member's profile attributes the schema lets ``org_admin`` write (owners and
    admins; 422 naming each refused one)."""
    body = parse_json(MemberAttributesPatch)
    cmd = ChangeMemberAttributes(actor, org, user_id, body.attributes)
    found = services().of(OrgServices).member_attributes.change(cmd)
    return json_response(MemberAttributesOut(attributes=found))


@bp.get("/<org>/events")
@doc(
    query=PageQuery, responses={200: OrgEventPage, 403: Problem, 404: Problem}, auth=True, tags=TAGS
)
@authenticated
def org_events(actor: Actor, org: str) -> Response:
    """The organization's audit log, newest first, paginated (admins)."""
    query = parse_query(PageQuery)
    page = (
        services().of(OrgServices).orgs.events(OrgEventQuery(actor, org, query.limit, query.cursor))
    )
    items = [OrgEventOut.of(event) for event in page.items]
    return json_response(OrgEventPage(items=items, next_cursor=page.next_cursor))
