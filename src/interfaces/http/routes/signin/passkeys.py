"""docs/reference/passkeys.md: registering passkeys, the list, and passwordless sign-in; and
/.well-known/webauthn, the origins a browser lets use the relying party's passkeys (WebAuthn
Level 3, related origin requests)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from application.signin.authentication import Actor
from application.signin.factors.passkeys import (
    AcceptedPasskeys,
    DeletePasskey,
    ListPasskeys,
    PasskeySignIn,
    RegisterPasskey,
    RegistrationOptions,
)
from application.signin.services import SigninServices
from interfaces.http.auth import authenticated, session_authenticated
from interfaces.http.openapi import PATH_PARAMETERS, doc
from interfaces.http.parsing import parse_json, parse_query
from interfaces.http.responses import json_response, no_content
from interfaces.http.routes.signin.login import login_response, presented_device_token
from interfaces.http.schemas.accounts.accounts import LoginOut
from interfaces.http.schemas.common import Problem
from interfaces.http.schemas.signin.passkeys import (
    AcceptedPasskeysOut,
    AcceptedQuery,
    ConditionalCreationOptionsOut,
    CreationOptionsOut,
    PasskeyAssertionRequest,
    PasskeyList,
    PasskeyOut,
    PasskeyRegistrationRequest,
    RegistrationOptionsRequest,
    RelatedOriginsOut,
    RequestOptionsOut,
)
from interfaces.shared.limits import client_ip
from interfaces.shared.services import services

bp = Blueprint("passkeys", __name__, url_prefix="/auth/passkeys")
well_known_bp = Blueprint("webauthn_well_known", __name__)
TAGS = ("passkeys",)
# What a browser may keep of /.well-known/webauthn: an org's new sign-in host is listed within
# this long.
MAX_AGE = 300


PATH_PARAMETERS["passkey_id"] = {
    "type": "string",
    "minLength": 1,
    "pattern": r"^(?!(registration|authentication|accepted)$)[^/]+$",
}


@bp.post("/registration/options")
@doc(
    json=RegistrationOptionsRequest,
    optional_body=True,
    responses={200: CreationOptionsOut, 403: Problem, 409: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def registration_options(actor: Actor) -> Response:
    """Options for navigator.credentials.create(); the challenge holds for 5 minutes, once.
    The body may be left out; `{"mediation": "conditional"}` asks for an automatic upgrade's
    options, only within PASSKEY_UPGRADE_WINDOW of a sign-in by password or code (409
    `upgrade_window_closed` otherwise); the answer then says `"mediation": "conditional"`."""
    conditional = _conditional()
    options = (
        services()
        .of(SigninServices)
        .passkeys.registration_options(RegistrationOptions(actor, conditional=conditional))
    )
    shape = ConditionalCreationOptionsOut if conditional else CreationOptionsOut
    return json_response(shape.model_validate(options))


def _conditional() -> bool:
    """Whether the options' body (optional) asks for an automatic upgrade's options."""
    if not request.get_data(cache=True):
        return False
    return parse_json(RegistrationOptionsRequest).mediation == "conditional"


@bp.post("/registration")
@doc(
    json=PasskeyRegistrationRequest,
    responses={201: PasskeyOut, 401: Problem, 403: Problem, 409: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def register(actor: Actor) -> Response:
    """Register the credential navigator.credentials.create() made from the options. A
    guest's passkey makes it an account in place, keeping its id and session, under the
    `username` it gives (422 `username_required` without one); every sign-up rule holds, and
    409 `account_exists` when the name is another account's (docs/guests.md). Only the
    answer to conditional options may come without user presence (422
    `user_presence_required` otherwise: docs/passkeys-upgraded.md)."""
    body = parse_json(PasskeyRegistrationRequest)
    passkey = (
        services()
        .of(SigninServices)
        .passkeys.register(
            RegisterPasskey(
                actor=actor,
                credential=body.credential(),
                name=body.name or "",
                username=body.username,
                client_ip=client_ip(),
            )
        )
    )
    return json_response(PasskeyOut.of(passkey), 201)


@bp.get("")
@doc(responses={200: PasskeyList, 403: Problem}, auth=True, tags=TAGS)
@authenticated
def list_passkeys(actor: Actor) -> Response:
    """The caller's passkeys, oldest first."""
    items = [
        PasskeyOut.of(p) for p in services().of(SigninServices).passkeys.list(ListPasskeys(actor))
    ]
    return json_response(PasskeyList(items=items))


@bp.get("/accepted")
@doc(
    query=AcceptedQuery,
    responses={200: AcceptedPasskeysOut, 403: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@authenticated
def accepted_passkeys(actor: Actor) -> Response:
    """The caller's passkeys as an app hands them to the platform's signal of the accepted
    credentials (WebAuthn's Signal API, docs/reference/passkeys.md "Signals"): for the
    `user_handle` its registration options gave the caller; another's is 403 `forbidden`."""
    query = parse_query(AcceptedQuery)
    signals = (
        services()
        .of(SigninServices)
        .passkeys.accepted(AcceptedPasskeys(actor, user_handle=query.handle()))
    )
    return json_response(AcceptedPasskeysOut.of(signals))


@bp.delete("/<passkey_id:passkey_id>")
# 405: the id ``registration``, ``authentication`` or ``accepted``, resources of their own.
@doc(
    responses={204: None, 403: Problem, 404: Problem, 405: Problem, 409: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def delete_passkey(actor: Actor, passkey_id: str) -> Response:
    """Delete one of the caller's passkeys; it signs in no more.

    409 `last_sign_in_method`: the account has no password and no linked identity, and this
    is its last passkey (as `DELETE /auth/identities/{provider}`).
    """
    services().of(SigninServices).passkeys.delete(DeletePasskey(actor, passkey_id))
    return no_content()


@bp.post("/authentication/options")
@doc(responses={200: RequestOptionsOut, 429: Problem}, tags=TAGS)
def authentication_options() -> Response:
    """Options for navigator.credentials.get() with any of this site's passkeys
    (usernameless); the challenge holds for 5 minutes, once."""
    return json_response(
        RequestOptionsOut.model_validate(
            services().of(SigninServices).passkeys.authentication_options()
        )
    )


@bp.post("/authentication")
@doc(
    json=PasskeyAssertionRequest,
    responses={200: LoginOut, 401: Problem, 403: Problem, 429: Problem},
    tags=TAGS,
)
def authenticate() -> Response:
    """Sign in with the assertion navigator.credentials.get() made: a token pair and a
    device token, like POST /login. Failed password logins do not block it. A sign-in that
    sends no device token of the account (header `Device-Token`, or the cookie) is from a
    new device, and the account is mailed about it."""
    body = parse_json(PasskeyAssertionRequest)
    pair = (
        services()
        .of(SigninServices)
        .passkeys.sign_in(
            PasskeySignIn(
                credential=body.credential(),
                user_agent=request.user_agent.string[:256],
                client_ip=request.remote_addr or "",  # after ProxyFix: the trusted hop's view
                device_token=presented_device_token(),
            )
        )
    )
    return login_response(pair, cookie_path=request.path)


@well_known_bp.get("/.well-known/webauthn")
@doc(responses={200: RelatedOriginsOut}, tags=TAGS)
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
