"""Home-realm discovery for apps: which single sign-on an address's domain signs in with
(docs/reference/sso.md, "Home-realm discovery")."""

from __future__ import annotations

from flask import Blueprint, Response

from application.sso.services import SsoServices
from domain.errors import NotFound
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_query
from interfaces.http.responses import json_response
from interfaces.http.schemas.common import Problem
from interfaces.http.schemas.sso.discovery import DiscoveredOut, DiscoverQuery
from interfaces.shared.services import services

bp = Blueprint("sso_discovery", __name__, url_prefix="/sso")


@bp.get("/discover")
@doc(query=DiscoverQuery, responses={200: DiscoveredOut, 404: Problem, 429: Problem}, tags=("sso",))
def discover() -> Response:
    """The active connection of the org that verified the address's domain, and where a
    browser starts with it; 404 ``sso_not_found`` for any other domain. No account is read:
    every address of a domain gets the same answer."""
    query = parse_query(DiscoverQuery)
    found = services().of(SsoServices).discovery.discover(query.email)
    if found is None:
        raise NotFound("No single sign-on for this address's domain.", code="sso_not_found")
    response = json_response(DiscoveredOut.of(found))
    response.headers["Cache-Control"] = "no-store"
    return response
