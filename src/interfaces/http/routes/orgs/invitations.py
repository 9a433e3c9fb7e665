"""Invitations to an org: admins invite an address, the person whose address it is accepts
with the mailed link's token (docs/reference/orgs.md, "Invitations")."""

from __future__ import annotations

from flask import Blueprint, Response

from application.orgs.joining.invitations import (
    AcceptOrgInvitation,
    InviteToOrg,
    OrgInvitations,
    RevokeOrgInvitation,
)
from application.orgs.services import OrgServices
from application.signin.authentication import Actor
from interfaces.http.auth import authenticated, session_authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json, parse_query
from interfaces.http.responses import json_response, no_content
from interfaces.http.schemas.common import NoQuery, Problem
from interfaces.http.schemas.orgs.invitations import (
    AcceptRequest,
    InvitationCreate,
    InvitationList,
    InvitationOut,
    JoinedOut,
)
from interfaces.shared.services import services

bp = Blueprint("org_invitations", __name__, url_prefix="/orgs")
TAGS = ("orgs",)


@bp.post("/<org>/invitations")
@doc(
    json=InvitationCreate,
    responses={201: InvitationOut, 403: Problem, 404: Problem, 429: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def create_invitation(actor: Actor, org: str) -> Response:
    """Invite an address with roles (admins; owner only by owners): a mail with a link valid
    for ORG_INVITATION_TTL. A pending invitation to the same address is replaced."""
    body = parse_json(InvitationCreate)
    invitation = (
        services()
        .of(OrgServices)
        .invitations.create(InviteToOrg(actor, org, str(body.email), list(body.roles)))
    )
    location = f"/orgs/{invitation.org_id}/invitations/{invitation.id}"
    return json_response(InvitationOut.of(invitation), 201, {"Location": location})


@bp.get("/<org>/invitations")
@doc(
    query=NoQuery,
    responses={200: InvitationList, 403: Problem, 404: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@authenticated
def list_invitations(actor: Actor, org: str) -> Response:
    """The org's invitations, pending and accepted, oldest first (admins)."""
    parse_query(NoQuery)
    found = services().of(OrgServices).invitations.list(OrgInvitations(actor, org))
    return json_response(InvitationList(items=[InvitationOut.of(i) for i in found]))


@bp.delete("/<org>/invitations/<invitation_id>")
@doc(responses={204: None, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@session_authenticated
def revoke_invitation(actor: Actor, org: str, invitation_id: str) -> Response:
    """Revoke an invitation (admins; an owner's only by owners): its link stops working."""
    services().of(OrgServices).invitations.revoke(RevokeOrgInvitation(actor, org, invitation_id))
    return no_content()


@bp.post("/invitations/accept")
@doc(
    json=AcceptRequest,
    responses={200: JoinedOut, 400: Problem, 403: Problem, 409: Problem, 429: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def accept_invitation(actor: Actor) -> Response:
    """Join the org with the invitation's token: the caller's address must be the invited one
    (403 address_mismatch); once accepted, by another person 409 invitation_used; a bad or
    expired token 400 invalid_token."""
    body = parse_json(AcceptRequest)
    joined = services().of(OrgServices).invitations.accept(AcceptOrgInvitation(actor, body.token))
    return json_response(JoinedOut.of(joined))
