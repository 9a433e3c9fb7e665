"""Setup links: an org admin makes one for the customer's IT admin, lists and revokes them
(docs/reference/sso.md, "Setup links")."""

from __future__ import annotations

from flask import Blueprint, Response

from application.signin.authentication import Actor
from application.sso.connections import ConnectionRequest
from application.sso.services import SsoServices
from application.sso.setup import MakeSetupLink
from interfaces.http.auth import authenticated, session_authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json, parse_query
from interfaces.http.responses import json_response, no_content
from interfaces.http.schemas.common import NoQuery, Problem
from interfaces.http.schemas.sso.setup_links import (
    SetupLinkCreate,
    SetupLinkList,
    SetupLinkMadeOut,
    SetupLinkOut,
)
from interfaces.shared.services import services

bp = Blueprint("sso_setup_links", __name__, url_prefix="/orgs")
TAGS = ("sso",)


@bp.post("/<org>/sso/setup-links")
@doc(
    json=SetupLinkCreate,
    responses={
        201: SetupLinkMadeOut,
        403: Problem,
        404: Problem,
        409: Problem,
        422: Problem,
    },
    auth=True,
    tags=TAGS,
)
@session_authenticated
def make_setup_link(actor: Actor, org: str) -> Response:
    """A link for the customer's IT admin to set up a connection (admins): valid 7 days,
    one per connection; the URL is shown this once."""
    body = parse_json(SetupLinkCreate)
    made = (
        services()
        .of(SsoServices)
        .setup.make(MakeSetupLink(actor, org, body.connection, body.kind, body.name))
    )
    out = SetupLinkMadeOut(
        url=made.url, expires_at=made.expires_at, connection_id=made.connection.id
    )
    return json_response(out, 201)


@bp.get("/<org>/sso/setup-links")
@doc(
    query=NoQuery,
    responses={200: SetupLinkList, 403: Problem, 404: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@authenticated
def list_setup_links(actor: Actor, org: str) -> Response:
    """The org's open setup links, one per connection (admins); never a token."""
    parse_query(NoQuery)
    found = services().of(SsoServices).setup.list(ConnectionRequest(actor, org))
    return json_response(SetupLinkList(items=[SetupLinkOut.of(c) for c in found]))


@bp.delete("/<org>/sso/setup-links/<connection_id>")
@doc(responses={204: None, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@session_authenticated
def revoke_setup_link(actor: Actor, org: str, connection_id: str) -> Response:
    """End the connection's setup link (admins): it opens nothing from then on."""
    services().of(SsoServices).setup.revoke(ConnectionRequest(actor, org, connection_id))
    return no_content()
