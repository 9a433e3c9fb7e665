"""Authlib's authorization server over firegate's OAuth use cases (docs/reference/oauth.md).

Authlib speaks the protocol: parameters, PKCE, errors, token and ID-token formats, metadata.
What it asks its models and hooks (a client, a code, a grant, a user's claims) is answered by
the use cases in application/provider/ and application/clients/ and the rules in
domain/provider/grants.py and domain/clients/oauth.py; the provider's tokens are minted,
and each token answer counted, by application/provider/minting.py."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload, FlaskOAuth2Request
from authlib.oauth2.base import invalid_error_characters
from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc6749.errors import (
    AccessDeniedError,
    InvalidClientError,
    OAuth2Error,
    UnsupportedResponseTypeError,
)
from authlib.oauth2.rfc7591 import ClientMetadataClaims
from flask import Flask, Request, Response, request

from application.clients.clients import FindClient
from application.clients.services import ClientServices
from application.provider.minting import TokenIssued
from application.provider.services import ProviderServices
from domain.clients.client_keys import PRIVATE_KEY_JWT
from domain.clients.oauth import SCOPES
from domain.clients.redirect_uris import MAX_URI_CHARS
from domain.hooks.credentials_exchange import CredentialsRefused
from interfaces.provider.server.assertions import PrivateKeyJwt
from interfaces.provider.server.endpoints import (
    DpopUserInfoValidator,
    EndSession,
    Introspection,
    Issuer,
    Registration,
    Revocation,
    UserInfoClaims,
    UserInfoProtector,
    UserInfoValidator,
)
from interfaces.provider.server.grants.device import DeviceAuthorization, DeviceGrant
from interfaces.provider.server.grants.exchange import ActorType, RequestedType, TokenExchangeGrant
from interfaces.provider.server.grants.grants import (
    ClientCredentials,
    CodeGrant,
    IdTokens,
    RefreshGrant,
    S256Required,
    access_token,
    save_token,
)
from interfaces.provider.server.models.config import OAuthConfig
from interfaces.provider.server.models.models import Client
from interfaces.provider.server.models.scopes import check_known
from interfaces.shared.services import services


class _Request(FlaskOAuth2Request):  # type: ignore[misc]
    """Authlib's request over Flask's, with the URI built from its parts: Authlib reads it
    only to refuse plain http off loopback (its scheme and host) and for RFC 7592, which is
    not served here. Flask's ``request.url`` rebuilds the whole URL as an IRI at each call,
    about 20 µs of every token, introspection and revocation request."""

    def __init__(self, flask_request: Request) -> None:
        OAuth2Request.__init__(
            self,
            flask_request.method,
            f"{flask_request.scheme}://{flask_request.host}{flask_request.root_path}"
            f"{flask_request.path}",
            headers=flask_request.headers,
        )
        self._request = flask_request
        self.payload = FlaskOAuth2Payload(flask_request)


# What an error means, for those Authlib raises without a description (RFC 6749 §5.2 makes
# ``error_description`` optional; the reference promises it).
ERROR_DESCRIPTIONS = {
    "invalid_grant": "The code or refresh token is not valid: unknown, expired, already used, "
    "revoked, or issued to another client.",
    "unsupported_grant_type": "The grant_type is not one this server supports here: "
    "authorization_code, refresh_token, or client_credentials for a confidential client.",
    "invalid_request": "The request is missing a parameter or has one that is not valid.",
    "invalid_client": "The client is unknown or failed to authenticate.",
    "unauthorized_client": "The client may not use this grant or response type.",
    "invalid_scope": "The scope asked for is unknown or not allowed for this client.",
    "access_denied": "The person or the server refused the request.",
}


def token_grants(
    units: Sequence[type[Any]] = (),
) -> tuple[tuple[type[Any], list[Any]], ...]:
    """The grants of the token endpoint, each with its extensions: what is registered is what
    the metadata lists (``grant_types_supported``), in this order, the units' (``units``:
    ``TOKEN_GRANTS``, application/provider/slots.py) after the core's. A new grant of the
    core is its module and its line here (docs/contributing.md, "A new grant")."""
    return (
        (CodeGrant, [S256Required(required=True), IdTokens()]),
        (RefreshGrant, []),
        (ClientCredentials, []),
        (DeviceGrant, []),
        (TokenExchangeGrant, []),
        *((grant, []) for grant in units),
    )


class Server(AuthorizationServer):  # type: ignore[misc]
    config: OAuthConfig
    issuer_parameter: Issuer
    end_session: EndSession  # also checks an authorization request's id_token_hint
    grant_types: tuple[str, ...] = ()  # the token endpoint's, as registered
    # the units' requested and actor token types of the token exchange, by their URIs, and
    # what the metadata says of them
    requested_types: Mapping[str, RequestedType]
    actor_types: Mapping[str, ActorType]
    discovery: Mapping[str, Any]

    def create_oauth2_request(self, _: object) -> _Request:
        return _Request(request)

    def create_token_response(self, oauth_request: object = None) -> Response:
        """The token endpoint's answer; one that gives tokens is counted here, once, by the
        grant type Authlib served it with (every grant answers 200 only with tokens). A token
        a ``credentials_exchange`` hook refused is ``access_denied``
        (docs/decisions/0580-credentials-exchange.md)."""
        try:
            answered: Response = super().create_token_response(oauth_request)
        except CredentialsRefused as refused:
            return self.handle_error_response(None, AccessDeniedError(refused.detail))
        if answered.status_code == 200:
            services().of(ProviderServices).minting.count_issued(
                TokenIssued(str(request.values["grant_type"]))
            )
        return answered

    def handle_error_response(self, oauth_request: Any, error: OAuth2Error) -> Response:
        if not error.description:  # Authlib leaves some bare: every error says what it means
            error.description = ERROR_DESCRIPTIONS.get(error.error, "")
        found: Response = super().handle_error_response(oauth_request, error)
        return found

    def validate_requested_scope(self, scope: str | None) -> None:
        """Each scope firegate's own or a registered API resource's (``invalid_scope``)."""
        check_known(scope)

    def get_authorization_grant(self, oauth_request: Any) -> Any:
        # Authlib quotes an unknown response_type in its error's description, which may hold
        # only printable ASCII but '"' and '\\': any other character made it raise a
        # ValueError (a 500). Such a value is told on the error page, never sent back.
        response_type = oauth_request.payload.response_type
        if response_type and invalid_error_characters(response_type):
            raise UnsupportedResponseTypeError(
                response_type, "The response_type is not supported: only 'code' is."
            )
        return super().get_authorization_grant(oauth_request)

    def authenticate_client(
        self, oauth_request: Any, methods: list[str], endpoint: str = "token"
    ) -> Any:
        # Authlib decodes Basic credentials as UTF-8 and lets the error out: other bytes are
        # a client that failed to authenticate, not a server error.
        try:
            return super().authenticate_client(oauth_request, methods, endpoint)
        except UnicodeDecodeError as exc:
            raise InvalidClientError(
                description="The client credentials are not UTF-8.", status_code=401
            ) from exc


def build_server(app: Flask, config: OAuthConfig) -> Server:
    server = Server()
    server.config = config
    server.init_app(app, query_client=_query_client, save_token=save_token)
    server.register_token_generator("default", access_token)
    server.register_client_auth_method(PRIVATE_KEY_JWT, PrivateKeyJwt(config.issuer))
    server.scopes_supported = list(SCOPES)
    units = services().of(ProviderServices).units  # what the units put in its slots
    grants = token_grants(tuple(load() for load in units.grants))
    server.requested_types = {kind.uri: kind.load() for kind in units.requested_types}
    server.actor_types = {kind.uri: kind.load() for kind in units.actor_types}
    server.discovery = {
        name: value
        for kind in server.requested_types.values()
        for name, value in kind.discovery.items()
    }
    for grant, extensions in grants:
        server.register_grant(grant, extensions or None)
    server.grant_types = tuple(str(grant.GRANT_TYPE) for grant, _ in grants)
    server.register_endpoint(DeviceAuthorization(server, config))
    server.issuer_parameter = Issuer(config.issuer)
    server.register_extension(server.issuer_parameter)
    server.register_endpoint(Revocation())
    server.register_endpoint(Introspection(config.issuer))
    protector = UserInfoProtector()
    protector.register_token_validator(UserInfoValidator(config))
    if config.dpop is not None:  # Authorization: DPoP (RFC 9449 §7)
        protector.register_token_validator(DpopUserInfoValidator(config))
    server.register_endpoint(UserInfoClaims(resource_protector=protector))
    server.end_session = EndSession(config)
    server.register_endpoint(server.end_session)
    if config.dynamic_registration:
        server.register_endpoint(Registration(claims_classes=[ClientMetadataClaims]))
    return server


def _query_client(client_id: str) -> Client | None:
    """The client every endpoint asks Authlib for. One a unit's resolver names (a metadata
    document's: the agents') that it refused is ``invalid_client`` with the reason
    (docs/agents-and-clis.md, "Agents with a client metadata document"); on the authorization
    endpoint it is told on a page, never sent to a redirect URI nothing vouched for."""
    if not isinstance(client_id, str) or not client_id or len(client_id) > MAX_URI_CHARS:
        return None
    resolvers = services().of(ClientServices).resolvers
    if len(client_id) > 200 and not resolvers.names(client_id):
        return None
    found = services().of(ClientServices).clients.client(FindClient(client_id))
    if found is None and resolvers.names(client_id):
        why = resolvers.refusal(client_id)
        raise InvalidClientError(description=why or "The client could not be resolved.")
    return Client(found) if found is not None else None
