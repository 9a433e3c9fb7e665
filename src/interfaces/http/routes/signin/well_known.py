"""/.well-known/webauthn: the origins a browser lets use the relying party's passkeys
(WebAuthn Level 3, related origin requests; docs/reference/passkeys.md)."""

from __future__ import annotations

from flask import Blueprint, Response

from application.signin.services import SigninServices
from interfaces.http.openapi import doc
from interfaces.http.responses import json_response
from interfaces.http.schemas.signin.passkeys import RelatedOriginsOut
from interfaces.shared.services import services

bp = Blueprint("webauthn_well_known", __name__)
# What a browser may keep: an org's new sign-in host is listed within this long.
MAX_AGE = 300


@bp.get("/.well-known/webauthn")
@doc(responses={200: RelatedOriginsOut}, tags=("passkeys",))
def related_origins() -> Response:
    """The origins whose passkey answers count: the public origin, WEBAUTHN_ORIGINS,
    WEBAUTHN_RELATED_ORIGINS, then those the units add (an org's active sign-in hosts),
    each once. A browser fetches it from the RP ID's host when a page on another domain
    asks for the RP ID's passkeys."""
    origins = services().of(SigninServices).passkeys.origins()
    return json_response(
        RelatedOriginsOut(origins=list(origins)),
        headers={"Cache-Control": f"public, max-age={MAX_AGE}"},
    )
