"""docs/reference/identities.md: the caller's connected accounts (the identities at other
providers linked to theirs), listed and disconnected."""

from __future__ import annotations

from flask import Blueprint, Response

from application.federation.connected import Disconnect, ListIdentities
from application.federation.services import FederationServices
from application.signin.authentication import Actor
from interfaces.http.auth import authenticated, session_authenticated
from interfaces.http.openapi import doc
from interfaces.http.responses import json_response, no_content
from interfaces.http.schemas.common import Problem
from interfaces.http.schemas.federation.connected_accounts import IdentityList, IdentityOut
from interfaces.shared.services import services

bp = Blueprint("connected_accounts", __name__, url_prefix="/auth/identities")
TAGS = ("accounts",)


@bp.get("")
@doc(responses={200: IdentityList, 403: Problem}, auth=True, tags=TAGS)
@authenticated
def list_identities(actor: Actor) -> Response:
    """The identities linked to the caller's account (Firebase's too), oldest first."""
    links = services().of(FederationServices).identities.list(ListIdentities(actor))
    items = [IdentityOut.model_validate(link, from_attributes=True) for link in links]
    return json_response(IdentityList(items=items))


@bp.delete("/<provider>")
@doc(responses={204: None, 403: Problem, 404: Problem, 409: Problem}, auth=True, tags=TAGS)
@session_authenticated
def disconnect(actor: Actor, provider: str) -> Response:
    """Disconnect the caller's identity at `provider`.

    404 `identity_not_found`; 409 `last_sign_in_method` when the account would have no way
    left to sign in (no password, no passkey, no other identity).
    """
    services().of(FederationServices).identities.disconnect(Disconnect(actor, provider))
    return no_content()
