"""The provider's JSON endpoints: metadata, token, userinfo, revocation, introspection,
registration (docs/reference/oauth.md). Authlib answers each, errors included (RFC 6749 §5.2,
JSON)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from authlib.common.errors import AuthlibHTTPError
from flask import Blueprint, Flask, Response, abort, current_app, jsonify, request

from application.accounts.services import AccountServices
from application.clients.services import ClientServices
from domain.clients.client_keys import check_jwks
from domain.errors import DomainError, RateLimited
from interfaces.shared.services import services

if TYPE_CHECKING:
    from interfaces.provider.server.assembly import Server
    from interfaces.provider.server.models.config import OAuthConfig

EXTENSION = "firegate.oauth"  # the provider's own: its Authlib server, for its routes

bp = Blueprint("oauth", __name__)


class ProviderServer:
    """Authlib's server, built by the provider's first request that needs it: Authlib and
    the provider's glue are imported then, not while the app is built, which every start
    pays and most never need (docs/benchmarks.md, "Cold start")."""

    def __init__(self, app: Flask, config: Callable[[], OAuthConfig]) -> None:
        self._app = app
        self._config = config
        self._lock = threading.Lock()
        self._server: Server | None = None

    def get(self) -> Server:
        found = self._server
        if found is None:
            with self._lock:  # one server, however many requests arrive first
                if self._server is None:
                    from interfaces.provider.server.assembly import (  # noqa: PLC0415 - Authlib
                        build_server,
                    )

                    self._server = build_server(self._app, self._config())
                found = self._server
        return found


def server() -> Server:
    found: ProviderServer = current_app.extensions[EXTENSION]
    return found.get()


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.errorhandler(RateLimited)
def too_many_requests(exc: RateLimited) -> Response:
    """Past a per-address limit (``RATE_LIMIT_OAUTH_*``): 429 with ``Retry-After``, in the
    shape an OAuth client reads, ``{"error", "error_description"}`` (RFC 6749 §5.2), not the
    API's problem, which such a client would take for a token
    (docs/decisions/0185-oauth-rate-limit-refusal.md)."""
    response = jsonify(error="temporarily_unavailable", error_description=exc.detail)
    response.status_code = 429
    response.headers["Retry-After"] = str(exc.retry_after)
    return _no_store(response)


# Authlib's OAuth2Error, by its base class: the one module Authlib needs at start-up, not the
# dozens that ``authlib.oauth2`` imports. No other error of that base is raised here.
@bp.errorhandler(AuthlibHTTPError)
def oauth_error(error: AuthlibHTTPError) -> Response:
    """An OAuth error raised before Authlib's own handling of the endpoint takes over: the
    request's transport, checked as Authlib builds its request (plain http off loopback is
    ``insecure_transport``, 400). Answered as Authlib answers the others (RFC 6749 §5.2)."""
    return _no_store(server().handle_error_response(None, error))


@bp.get("/.well-known/openid-configuration")
@bp.get("/.well-known/oauth-authorization-server")
def provider_metadata() -> Response:
    from interfaces.provider.server.models.config import metadata  # noqa: PLC0415 - Authlib's

    served = server()
    # the registered API resources' scopes as this process read them lately
    resource_scopes = services().of(ClientServices).resources.resource_catalogue().scope_names()
    attribute_claims = services().of(AccountServices).profile_schemas.claim_names()
    response = jsonify(
        metadata(
            served.config,
            served.grant_types,
            resource_scopes,
            attribute_claims,
            services().of(ClientServices).resolvers.discovery(),
            exchanges=served.discovery,
        )
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.post("/oauth/token")
def token() -> Response:
    from interfaces.provider.server.device_polls import pending_answer  # noqa: PLC0415 - Authlib

    provider = server()
    pending = pending_answer(provider)  # a device poll still waiting, before Authlib's grant
    return _no_store(pending if pending is not None else provider.create_token_response())


@bp.post("/oauth/par")
def pushed_authorization_request() -> Response:
    from interfaces.provider.server.pushed import push  # noqa: PLC0415 - Authlib

    return _no_store(push(server()))


@bp.post("/oauth/device_authorization")
def device_authorization() -> Response:
    return _no_store(server().create_endpoint_response("device_authorization"))


@bp.route("/oauth/userinfo", methods=["GET", "POST"])
def userinfo() -> Response:
    return _no_store(_bearer_challenge(server().create_endpoint_response("userinfo")))


def _bearer_challenge(response: Response) -> Response:
    """RFC 6750 §3: a refusal says ``WWW-Authenticate: Bearer``. Without a bearer token
    (none, or another scheme) it carries no error code; a token without ``openid`` is
    ``insufficient_scope``, with the scope it needs. Authlib's own answers use a lower-case
    scheme and an error code of its own for the first, and no header for the second."""
    if response.status_code not in (401, 403):
        return response
    body = response.get_json(silent=True) or {}
    error = body.get("error")
    if error in ("missing_authorization", "unsupported_token_type"):
        response = jsonify(
            error="invalid_token",
            error_description="An access token is required: Authorization: Bearer <token>.",
        )
        response.status_code = 401
        response.headers["WWW-Authenticate"] = "Bearer"
    elif error == "insufficient_scope":
        scheme = request.headers.get("Authorization", "").partition(" ")[0]
        response.headers["WWW-Authenticate"] = (
            f'{"DPoP" if scheme.lower() == "dpop" else "Bearer"} error="insufficient_scope", '
            'scope="openid", error_description="The access token was not granted the openid '
            'scope."'
        )
    return response


@bp.post("/oauth/revoke")
def revoke() -> Response:
    return _no_store(server().create_endpoint_response("revocation"))


@bp.post("/oauth/introspect")
def introspect() -> Response:
    return _no_store(server().create_endpoint_response("introspection"))


# RFC 7591's (and OpenID Connect Dynamic Registration's) metadata by type. Authlib reads a
# member of another type without checking it (a 500: a number as a URI, say), so the shape
# is checked here first; a member neither knows is ignored, as RFC 7591 §2 asks, unless it is
# a list or an object.
_LIST_METADATA = frozenset(
    {
        "redirect_uris",
        "post_logout_redirect_uris",
        "grant_types",
        "response_types",
        "contacts",
        "default_acr_values",
        "request_uris",
    }
)
_BOOLEAN_METADATA = frozenset(
    {"backchannel_logout_session_required", "require_pushed_authorization_requests"}
    | {"require_auth_time"}
)
_NUMBER_METADATA = frozenset({"default_max_age"})
_STRING_METADATA = frozenset(
    {
        "client_name",
        "token_endpoint_auth_method",
        "scope",
        "software_id",
        "software_version",
        "application_type",
        "subject_type",
        "token_endpoint_auth_signing_alg",
        "id_token_signed_response_alg",
        "id_token_encrypted_response_alg",
        "id_token_encrypted_response_enc",
        "userinfo_signed_response_alg",
        "userinfo_encrypted_response_alg",
        "userinfo_encrypted_response_enc",
        "request_object_signing_alg",
        "request_object_encryption_alg",
        "request_object_encryption_enc",
    }
)


def _shape_problem(body: object) -> str | None:
    if not isinstance(body, dict):
        return "The body must be a JSON object of client metadata."
    for name, value in body.items():
        problem = _member_problem(name, value)
        if problem is not None:
            return problem
    return None


def _member_problem(name: str, value: object) -> str | None:
    if name in _LIST_METADATA:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return None
        return f"{name} must be a list of strings."
    if name == "jwks":
        return _jwks_problem(value)
    if isinstance(value, list | dict):
        return f"{name} must not be a list or an object."
    kind = _scalar_kind(name)
    if value is None or kind is None:  # as if not sent; a member neither knows
        return None
    fits = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    return None if fits else f"{name} must be {_KIND_WORDS[kind]}."


_KIND_WORDS: dict[type, str] = {bool: "true or false", int: "a whole number", str: "a string"}


def _scalar_kind(name: str) -> type | None:
    if name in _BOOLEAN_METADATA:
        return bool
    if name in _NUMBER_METADATA:
        return int
    if name in _STRING_METADATA or name.endswith("_uri"):
        return str
    return None


def _jwks_problem(value: object) -> str | None:
    if not isinstance(value, dict):
        return "jwks must be a JWK Set object."
    try:
        check_jwks(value)  # Authlib reads one without "keys" as a KeyError (a 500)
    except DomainError as exc:
        return exc.detail
    return None


@bp.post("/oauth/register")
def register() -> Response:
    if not server().config.dynamic_registration:
        abort(404)  # off unless OAUTH_DYNAMIC_REGISTRATION=true
    if request.is_json:
        problem = _shape_problem(request.get_json(silent=True))
        if problem is not None:
            response = jsonify(error="invalid_client_metadata", error_description=problem)
            response.status_code = 400
            return _no_store(response)
    return _no_store(server().create_endpoint_response("client_registration"))
