"""``POST /oauth/par``: pushed authorization requests (RFC 9126). The client authenticates as
at the token endpoint; its request is checked as the authorization endpoint checks one (by
the same grant, Authlib's) and sealed into the ``request_uri`` the browser then brings
(docs/reference/oauth.md, "Pushed authorization requests")."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import OAuth2Payload
from authlib.oauth2.rfc6749.errors import InvalidRequestError, OAuth2Error
from flask import Response, request
from werkzeug.datastructures import MultiDict

from application.provider.authorization.pushed import Pushed, PushRequest
from application.provider.services import ProviderServices
from domain.errors import DomainError
from interfaces.provider.server.grants.grants import CodeGrant
from interfaces.shared.services import services

if TYPE_CHECKING:
    from interfaces.provider.server.assembly import Server

# How the client authenticated: not part of the authorization request that is kept.
CLIENT_AUTHENTICATION = frozenset({"client_secret", "client_assertion", "client_assertion_type"})


class _Payload(OAuth2Payload):  # type: ignore[misc]
    """An authorization request's parameters as Authlib reads them, from a form posted."""

    def __init__(self, data: MultiDict[str, str]) -> None:
        self._data = data

    @property
    def data(self) -> MultiDict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        found: defaultdict[str, list[str]] = defaultdict(list)
        for name, value in self._data.items(multi=True):
            found[name].append(value)
        return found


def push(server: Server) -> Response:
    """201 ``{"request_uri", "expires_in"}``, or RFC 9126 §2.3's error as JSON (never a
    redirect: the client posted this itself)."""
    oauth_request = server.create_oauth2_request(None)
    try:
        client = server.authenticate_client(
            oauth_request, CodeGrant.TOKEN_ENDPOINT_AUTH_METHODS, endpoint="par"
        )
        params = _authorization_params(client.get_client_id())
        # the same request, now read as the authorization request it pushes
        oauth_request.payload = _Payload(params)
        grant = server.get_authorization_grant(oauth_request)
        grant.validate_no_multiple_request_parameter(oauth_request)
        grant.validate_authorization_request()
        pushed = _sealed(client.get_client_id(), params)
    except OAuth2Error as error:
        error.redirect_uri = None
        return server.handle_error_response(oauth_request, error)
    body = json.dumps({"request_uri": pushed.request_uri, "expires_in": pushed.expires_in})
    return Response(body, 201, mimetype="application/json")


def _sealed(client_id: str, params: MultiDict[str, str]) -> Pushed:
    """The request sealed into its ``request_uri``; one too long is ``invalid_request``."""
    try:
        return (
            services()
            .of(ProviderServices)
            .pushed.push_request(PushRequest(client_id, tuple(params.items(multi=True))))
        )
    except DomainError as exc:
        raise InvalidRequestError(exc.detail) from exc


def _authorization_params(client_id: str) -> MultiDict[str, str]:
    """The form's parameters but the client's credentials: a ``request_uri`` cannot be
    pushed (RFC 9126 §2.1), and a ``client_id`` is the authenticated client's."""
    form: Any = request.form
    if "request_uri" in form:
        raise InvalidRequestError("A pushed request cannot carry a request_uri.")
    if form.getlist("client_id") not in ([], [client_id]):
        raise InvalidRequestError("The client_id is not the client that authenticated.")
    params: MultiDict[str, str] = MultiDict(
        (name, value)
        for name, value in form.items(multi=True)
        if name not in CLIENT_AUTHENTICATION and name != "client_id"
    )
    params.add("client_id", client_id)
    return params
