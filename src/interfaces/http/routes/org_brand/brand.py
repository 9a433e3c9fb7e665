"""An org's brand: its owners set and delete it, its members read it, and anyone fetches its
logo from firegate's own origin, as the pages' CSP wants (docs/reference/org-brand.md)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from application.org_brand.brands import BrandQuery, DeleteBrand, OrgBrands, SetBrand
from application.signin.authentication import Actor
from domain.org_brand.brand import brand_not_found
from interfaces.http.auth import authenticated, session_authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json, parse_query
from interfaces.http.responses import json_response, no_content
from interfaces.http.routes.org_brand.schemas import BrandOut, BrandPut
from interfaces.http.schemas.common import NoQuery, Problem
from interfaces.shared.services import services

bp = Blueprint("org_brand", __name__, url_prefix="/orgs")
TAGS = ("organizations",)
# An SVG logo is a document: sandboxed, no script, no fetch, its own inline styles only.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
LOGO_CACHE = "public, max-age=300, must-revalidate"


@bp.get("/<org>/brand")
@doc(query=NoQuery, responses={200: BrandOut, 404: Problem}, auth=True, tags=TAGS)
@authenticated
def get_brand(actor: Actor, org: str) -> Response:
    """The org's brand (members); 404 ``brand_not_found`` when it has none."""
    parse_query(NoQuery)
    return json_response(BrandOut.of(services().of(OrgBrands).brand(BrandQuery(actor, org))))


@bp.put("/<org>/brand")
@doc(
    json=BrandPut,
    responses={200: BrandOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def put_brand(actor: Actor, org: str) -> Response:
    """Set the org's brand (owners, a session's): 422 ``invalid_brand_name``,
    ``invalid_brand_logo``, ``invalid_brand_color``, ``brand_contrast``; 409
    ``brand_look_alike``."""
    body = parse_json(BrandPut)
    brand = (
        services()
        .of(OrgBrands)
        .set_brand(
            SetBrand(actor, org, body.display_name, body.logo_url, body.color, body.dark_color)
        )
    )
    return json_response(BrandOut.of(brand))


@bp.delete("/<org>/brand")
@doc(responses={204: None, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@session_authenticated
def delete_brand(actor: Actor, org: str) -> Response:
    """Delete the org's brand (owners): the operator's is shown again."""
    services().of(OrgBrands).delete_brand(DeleteBrand(actor, org))
    return no_content()


@bp.get("/<org_id>/brand/logo")
@doc(responses={200: None, 304: None, 404: Problem}, tags=TAGS)
def get_logo(org_id: str) -> Response:
    """The org's logo, by the org's id (anyone: the pages show it before a sign-in), with its
    own type, ``nosniff``, a sandbox for an SVG, and an ETag (304 when it matches)."""
    logo = services().of(OrgBrands).logo(org_id)
    if logo is None:
        raise brand_not_found()
    etag = logo.etag
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        response = Response(logo.data, mimetype=logo.media_type)
    response.set_etag(etag)
    response.headers["Cache-Control"] = LOGO_CACHE
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = SVG_POLICY
    return response
