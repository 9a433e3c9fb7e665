"""The device authorization grant (RFC 8628) on Authlib's endpoint and grant: the request
(``POST /oauth/device_authorization``) and the polls at the token endpoint; the states and
their rules are the use cases' (application/provider/authorization/device.py;
docs/reference/oauth.md, "Device authorization")."""

from __future__ import annotations

from typing import Any, ClassVar

from authlib.consts import default_json_headers
from authlib.oauth2.rfc6749.errors import (
    AccessDeniedError,
    InvalidGrantError,
    InvalidRequestError,
    OAuth2Error,
    UnauthorizedClientError,
)
from authlib.oauth2.rfc8628 import (
    AuthorizationPendingError,
    DeviceAuthorizationEndpoint,
    DeviceCodeGrant,
    ExpiredTokenError,
    SlowDownError,
)
from flask import g

from application.provider.authorization.device import PollDevice, StartDevice
from application.provider.minting import MintIdToken
from application.provider.services import ProviderServices
from domain.clients.oauth import DEVICE_CODE, scope_list
from domain.provider.device_flow import DeviceAuthorization as DeviceRequest
from interfaces.provider.server.models.config import (
    CONFIDENTIAL_AUTH,
    PUBLIC_AUTH,
    InvalidTargetError,
    OAuthConfig,
)
from interfaces.provider.server.models.models import Client, Subject
from interfaces.provider.server.models.proofs import ProofOfPossession, proof_jkt, spend_token_proof
from interfaces.provider.server.models.scopes import check_resource_scopes
from interfaces.shared.services import services

NOT_ALLOWED = (
    "This client may not use the device flow: it is allowed with "
    "'clients create --grant device_code'."
)
NO_RESOURCE = (
    "The device flow issues tokens for the client itself: no 'resource' "
    "(a service exchanges them for its resources: token exchange)."
)
_REFUSALS: dict[str, tuple[type[OAuth2Error], str]] = {
    "pending": (
        AuthorizationPendingError,
        "The person has not answered yet: poll again after the interval.",
    ),
    "slow_down": (SlowDownError, "Polled sooner than the interval: wait five seconds more."),
    "denied": (AccessDeniedError, "The person denied the request."),
    "expired": (ExpiredTokenError, "The device code expired: start a new request."),
    "invalid": (
        InvalidGrantError,
        "The device code is not valid: unknown, already used, or issued to another client.",
    ),
}


def read_by_poll() -> DeviceRequest | None:
    """The request as this poll read it before Authlib's grant (device_polls.py), if it
    did: an approved one is then spent without a second read."""
    found = g.pop("device_request", None)
    return found if isinstance(found, DeviceRequest) else None


class DeviceAuthorization(DeviceAuthorizationEndpoint):  # type: ignore[misc]
    """RFC 8628 §3.1-3.2, for a client that opted in; the scopes are those it may have."""

    CLIENT_AUTH_METHODS: ClassVar[list[str]] = [*CONFIDENTIAL_AUTH, *PUBLIC_AUTH]

    def __init__(self, server: Any, config: OAuthConfig) -> None:
        super().__init__(server)
        self.config = config

    def create_endpoint_response(self, request: Any) -> tuple[int, dict[str, Any], Any]:
        client: Client = self.authenticate_client(request)
        if not client.client.allows_grant(DEVICE_CODE):
            raise UnauthorizedClientError(NOT_ALLOWED)
        if len(request.payload.data.get("scope", "")) > 1000:
            raise InvalidRequestError("The scope is too long.")
        if "resource" in request.payload.data:
            raise InvalidTargetError(NO_RESOURCE)
        self.server.validate_requested_scope(request.payload.scope)
        check_resource_scopes(request.payload.scope, None, client)  # none without its resource
        scope = client.get_allowed_scope(request.payload.scope)
        started = (
            services()
            .of(ProviderServices)
            .device.start_device(StartDevice(client.get_client_id(), scope))
        )
        page = f"{self.config.issuer}/device"
        data = {
            "device_code": started.device_code,
            "user_code": started.user_code,
            "verification_uri": page,
            "verification_uri_complete": f"{page}?user_code={started.user_code}",
            "expires_in": started.expires_in,
            "interval": started.interval,
        }
        return 200, data, default_json_headers


class DeviceGrant(ProofOfPossession, DeviceCodeGrant):  # type: ignore[misc]
    """RFC 8628 §3.4-3.5: each poll is answered by the use case; the approved request gives
    its tokens once (an access token, a refresh token with ``offline_access``, an ID token
    with ``openid``). A poll with a DPoP proof (RFC 9449 §5) has it checked each time, as
    any token request does, and the tokens it gets are bound to its key (a public client's
    refresh token too); the proof is spent only by the poll that gets tokens: a pending
    answer gives nothing a replay could use."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = [*CONFIDENTIAL_AUTH, *PUBLIC_AUTH]

    def validate_token_request(self) -> None:
        device_code = self.request.payload.data.get("device_code")
        if not device_code or not isinstance(device_code, str):
            raise InvalidRequestError("Missing 'device_code'.")
        client: Client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError(NOT_ALLOWED)
        bound = proof_jkt(client) if client.client.binds_refresh_tokens() else None
        polled = (
            services()
            .of(ProviderServices)
            .device.poll_device(
                PollDevice(device_code, client.get_client_id(), bound, read=read_by_poll())
            )
        )
        tokens = polled.tokens
        if tokens is None:
            refusal, description = _REFUSALS[polled.outcome]
            raise refusal(description=description)
        if client.dpop is not None:
            spend_token_proof(client.dpop)
        self.request.user = Subject(tokens.account, tokens.grant_id, tokens.auth_time, tokens.amr)
        self.request.client = client
        self.request.credential = tokens

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        tokens = self.request.credential
        token: dict[str, Any] = self.generate_token(
            user=self.request.user, scope=tokens.scope, include_refresh_token=False
        )
        if self.request.client.dpop is not None:
            token["token_type"] = "DPoP"  # RFC 9449 §5: bound to the proof's key (cnf.jkt)
        if tokens.refresh_token is not None:
            token["refresh_token"] = tokens.refresh_token
        if "openid" in scope_list(tokens.scope):
            token["id_token"] = self._id_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER

    def _id_token(self, token: dict[str, Any]) -> str:
        """The person's ID token, as a code's (no nonce: the device flow has none)."""
        subject: Subject = self.request.user
        return (
            services()
            .of(ProviderServices)
            .minting.mint_id_token(
                MintIdToken(
                    client_id=self.request.client.get_client_id(),
                    user=subject.user,
                    scope=token["scope"],
                    access_token=token["access_token"],
                    auth_time=subject.auth_time,
                    amr=subject.amr,
                    grant_id=subject.grant_id,
                )
            )
        )
