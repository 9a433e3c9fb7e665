from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from interfaces.http.openapi import doc
from interfaces.http.schemas.common import JsonWebKeySet
from interfaces.shared.services import services

bp = Blueprint("jwks", __name__)


@bp.get("/.well-known/jwks.json")
@doc(responses={200: JsonWebKeySet}, tags=("sessions",))
def jwks() -> Response:
    """Public keys that verify access tokens, by ``kid`` (empty with a shared HS256 secret),
    and the OpenID Connect provider's, where it has its own (docs/reference/oauth.md)."""
    own = services().authentication.jwks()["keys"]
    keys: list[dict[str, Any]] = list(own) if isinstance(own, list) else []
    known = {key["kid"] for key in keys}
    extra = current_app.extensions.get("firegate.extra_jwks", [])
    keys += [key for key in extra if key["kid"] not in known]
    response = jsonify({"keys": keys})
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
