"""The device flow's polls that are answered ``authorization_pending`` or ``slow_down``,
before Authlib's grant: what a waiting client sends every five seconds, answered from the
form, the client and one read, as the grant would answer it; any other poll (approved,
denied, expired, unknown, refused, with a DPoP proof) goes on to the grant (``DeviceGrant``)
unchanged (docs/decisions/0296-device-polls-before-authlib.md)."""

from __future__ import annotations

import json

from authlib.common.security import is_secure_transport
from authlib.oauth2.rfc6749.errors import OAuth2Error
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from flask import Response, g, request

from application.provider.authorization.device import PollDevice
from application.provider.services import ProviderServices
from domain.clients.oauth import DEVICE_CODE
from domain.provider.device_flow import DeviceAuthorization
from interfaces.provider.server.assembly import Server
from interfaces.provider.server.grants.device import _REFUSALS, DeviceGrant
from interfaces.provider.server.models.models import Client
from interfaces.shared.services import services

# The grant's own refusals, made once (an error's description is checked character by
# character each time one is made), with the status, body and headers Authlib answers them
# with.
_ERRORS: dict[str, OAuth2Error] = {
    outcome: refusal(description=description)
    for outcome, (refusal, description) in _REFUSALS.items()
    if outcome in ("pending", "slow_down")
}
_ANSWERS = {
    outcome: (status, json.dumps(body), headers)
    for outcome, (status, body, headers) in ((o, e()) for o, e in _ERRORS.items())
}


def pending_answer(server: Server) -> Response | None:
    """The answer to a device-code poll of a pending request, as ``DeviceGrant`` gives it
    (status, JSON body, headers); None for any other token request, which Authlib answers.
    Answered only for a form with no query string and no ``DPoP`` header, a client that
    authenticates as Authlib authenticates it at the token endpoint, may use the device flow
    and does not require DPoP."""
    if request.args or "DPoP" in request.headers:
        return None
    form = request.form
    device_code = form.get("device_code")
    if form.get("grant_type") != DEVICE_CODE or not device_code:
        return None
    client = _client(server)
    if (
        client is None
        or not client.check_grant_type(DEVICE_CODE)
        or client.client.dpop_bound_access_tokens
    ):
        return None
    polled = (
        services()
        .of(ProviderServices)
        .device.poll_pending(PollDevice(device_code, client.get_client_id()))
    )
    if polled is None or isinstance(polled, DeviceAuthorization):
        # Unknown, or not pending: the grant answers it, from this read where there was one
        # (``read_by_poll`` of grants/device.py)
        g.device_request = polled
        return None
    error = _ERRORS[polled.outcome]
    if server.get_error_uri(None, error) is not None:  # OAUTH2_ERROR_URIS: Authlib's way
        answered: Response = server.handle_error_response(None, error)
        return answered
    found: Response = server.handle_response(*_ANSWERS[polled.outcome])
    return found


def _client(server: Server) -> Client | None:
    """The client as Authlib authenticates it at the token endpoint (``ClientAuthentication``
    with the grant's methods, in their order: a confidential client's secret by HTTP Basic,
    then in the form, a public client's id alone), over https or on loopback; None where
    Authlib would refuse the request, which it then answers itself."""
    path = f"{request.scheme}://{request.host}{request.root_path}{request.path}"
    if not is_secure_transport(path):
        return None
    form = request.form
    client_id, secret = form.get("client_id"), form.get("client_secret")
    try:
        basic = extract_basic_authorization(request.headers)
    except UnicodeDecodeError:
        return None
    presented = {
        "client_secret_basic": basic,
        "client_secret_post": (client_id, secret),
        "none": (client_id, None) if not secret else (None, None),
    }
    for method in DeviceGrant.TOKEN_ENDPOINT_AUTH_METHODS:
        if method not in presented:  # an assertion: Authlib's grant checks it
            continue
        named, given = presented[method]
        if not named or (method != "none" and not given):
            continue
        try:
            client: Client | None = server.query_client(named)
        except OAuth2Error:  # a metadata document refused: the grant says so
            return None
        if client is None:
            return None  # Authlib: invalid_client at once
        if (given is None or client.check_client_secret(given)) and (
            client.check_endpoint_auth_method(method, "token")
        ):
            return client
    return None
