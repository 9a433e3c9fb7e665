"""An org's own sign-in host (docs/reference/org-sign-in-domain.md): its owners set it and
publish its records, verify them, and remove it; its members read it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from flask import Blueprint, Response
from pydantic import Field

from application.org_brand.hosts import HostRequest, SignInHosts
from application.signin.authentication import Actor
from domain.org_brand.hosts import NAME_MAX, SignInHost
from interfaces.http.auth import authenticated, session_authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json, parse_query
from interfaces.http.responses import json_response, no_content
from interfaces.http.schemas.common import NoQuery, Problem, Schema, Strict, single_line
from interfaces.shared.services import services

bp = Blueprint("org_sign_in_domain", __name__, url_prefix="/orgs")
TAGS = ("orgs",)


class SignInDomainPut(Strict):
    host: str = Field(
        min_length=1,
        max_length=4 * NAME_MAX,  # a Unicode name as typed may be longer than its A-labels
        examples=["login.example.com"],
        description="a host under one of the organization's verified domains",
        json_schema_extra=single_line,
    )


class DnsRecordOut(Schema):
    type: Literal["CNAME", "TXT"]
    name: str = Field(examples=["login.example.com"])
    value: str = Field(examples=["hosts.firegate.example"])


class SignInDomainOut(Schema):
    host: str = Field(description="the host as IDNA 2008 A-labels, lower case")
    status: Literal["pending", "active"]
    records: list[DnsRecordOut] = Field(
        description="the records to publish: a CNAME of the host to the service's front end, "
        "and a TXT record with the host's token"
    )
    created_at: datetime
    verified_at: datetime | None
    checked_at: datetime | None = Field(description="when DNS last showed both records")

    @staticmethod
    def of(host: SignInHost) -> SignInDomainOut:
        target = services().of(SignInHosts).settings.target
        return SignInDomainOut(
            host=host.host,
            status=host.status.value,
            records=[
                DnsRecordOut(type="CNAME", name=host.host, value=target),
                DnsRecordOut(type="TXT", name=host.txt_name, value=host.txt_value),
            ],
            created_at=host.created_at,
            verified_at=host.verified_at,
            checked_at=host.checked_at,
        )


@bp.put("/<org>/sign-in-domain")
@doc(
    json=SignInDomainPut,
    responses={
        200: SignInDomainOut,
        202: SignInDomainOut,
        403: Problem,
        404: Problem,
        409: Problem,
        422: Problem,
    },
    auth=True,
    tags=TAGS,
)
@session_authenticated
def put_sign_in_domain(actor: Actor, org: str) -> Response:
    """Set the org's sign-in host (owners): 202 pending, with the CNAME and TXT records to
    publish, then verify; the org's active host again: 200."""
    body = parse_json(SignInDomainPut)
    found = services().of(SignInHosts).put(HostRequest(actor, org, body.host))
    return json_response(SignInDomainOut.of(found), 200 if found.active else 202)


@bp.get("/<org>/sign-in-domain")
@doc(
    query=NoQuery,
    responses={200: SignInDomainOut, 404: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@authenticated
def get_sign_in_domain(actor: Actor, org: str) -> Response:
    """The org's sign-in host and its records (members); 404 sign_in_domain_not_found."""
    parse_query(NoQuery)
    found = services().of(SignInHosts).get(HostRequest(actor, org))
    return json_response(SignInDomainOut.of(found))


@bp.post("/<org>/sign-in-domain/verify")
@doc(
    responses={
        200: SignInDomainOut,
        403: Problem,
        404: Problem,
        409: Problem,
        429: Problem,
        503: Problem,
    },
    auth=True,
    tags=TAGS,
)
@session_authenticated
def verify_sign_in_domain(actor: Actor, org: str) -> Response:
    """Look the CNAME and TXT records up (owners): active, or 409
    sign_in_domain_not_verified naming what is missing."""
    found = services().of(SignInHosts).verify(HostRequest(actor, org))
    return json_response(SignInDomainOut.of(found))


@bp.delete("/<org>/sign-in-domain")
@doc(responses={204: None, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@session_authenticated
def delete_sign_in_domain(actor: Actor, org: str) -> Response:
    """Remove the org's sign-in host (owners): its requests are refused from then on."""
    services().of(SignInHosts).delete(HostRequest(actor, org))
    return no_content()
