"""An org's verified domains: admins add a domain, publish its TXT record and verify it
(docs/reference/orgs.md, "Verified domains")."""

from __future__ import annotations

from flask import Blueprint, Response

from application.orgs.joining.domains import OrgDomainRequest
from application.orgs.services import OrgServices
from application.signin.authentication import Actor
from interfaces.http.auth import authenticated, session_authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json, parse_query
from interfaces.http.responses import json_response, no_content
from interfaces.http.schemas.common import NoQuery, Problem
from interfaces.http.schemas.orgs.domains import OrgDomainCreate, OrgDomainList, OrgDomainOut
from interfaces.shared.services import services

bp = Blueprint("org_domains", __name__, url_prefix="/orgs")
TAGS = ("orgs",)


@bp.post("/<org>/domains")
@doc(
    json=OrgDomainCreate,
    responses={201: OrgDomainOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def add_domain(actor: Actor, org: str) -> Response:
    """Add a domain (admins): answers the TXT record to publish at it, then verify it."""
    body = parse_json(OrgDomainCreate)
    added = services().of(OrgServices).domains.add(OrgDomainRequest(actor, org, body.domain))
    location = f"/orgs/{org}/domains/{added.domain}"
    return json_response(OrgDomainOut.of(added), 201, {"Location": location})


@bp.get("/<org>/domains")
@doc(
    query=NoQuery,
    responses={200: OrgDomainList, 403: Problem, 404: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@authenticated
def list_domains(actor: Actor, org: str) -> Response:
    """The org's domains, pending and verified, by name (admins)."""
    parse_query(NoQuery)
    found = services().of(OrgServices).domains.list(OrgDomainRequest(actor, org))
    return json_response(OrgDomainList(items=[OrgDomainOut.of(d) for d in found]))


@bp.post("/<org>/domains/<domain>/verify")
@doc(
    responses={200: OrgDomainOut, 403: Problem, 404: Problem, 409: Problem, 503: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def verify_domain(actor: Actor, org: str, domain: str) -> Response:
    """Look the TXT record up (admins): verified, or 409 domain_not_verified; 409
    domain_taken when another org verified it first."""
    verified = services().of(OrgServices).domains.verify(OrgDomainRequest(actor, org, domain))
    return json_response(OrgDomainOut.of(verified))


@bp.delete("/<org>/domains/<domain>")
@doc(responses={204: None, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@session_authenticated
def delete_domain(actor: Actor, org: str, domain: str) -> Response:
    """Remove a domain (admins); a verified one is released for other orgs."""
    services().of(OrgServices).domains.delete(OrgDomainRequest(actor, org, domain))
    return no_content()
