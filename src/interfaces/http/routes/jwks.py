from __future__ import annotations

from flask import Blueprint, Response, jsonify

from interfaces.http.openapi import doc
from interfaces.http.schemas.common import JsonWebKeySet
from interfaces.shared.services import services

bp = Blueprint("jwks", __name__)


@bp.get("/.well-known/jwks.json")
@doc(responses={200: JsonWebKeySet}, tags=("sessions",))
def jwks() -> Response:
    """Public keys that verify access tokens, by ``kid`` (empty with a shared HS256 secret)."""
    response = jsonify(services().authentication.jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
