"""The grants Authlib runs: authorization code (PKCE S256, ID tokens), refresh token, client
credentials; the access tokens they give (RFC 9068) and what is kept of them
(docs/reference/oauth.md, "Tokens")."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from authlib.oauth2.rfc6749 import OAuth2Request, grants
from authlib.oauth2.rfc6749.errors import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
)
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from authlib.oidc.core import OpenIDCode, UserInfo
from authlib.oidc.core.errors import RequestNotSupportedError, RequestURINotSupportedError
from authlib.oidc.core.util import create_half_hash
from flask import request

from application.oauth.grants import (
    ExchangeCode,
    FindRefresh,
    NewCode,
    RotateRefresh,
    SpendCode,
    new_code,
)
from application.oauth.tokens import GRANT_CLAIM
from domain.dpop import InvalidProof
from domain.errors import DomainError
from domain.oauth import scope_list, unusable_resource
from interfaces.oauth.server.config import (
    CONFIDENTIAL_AUTH,
    PUBLIC_AUTH,
    InvalidTargetError,
    OAuthConfig,
)
from interfaces.oauth.server.models import Client, Code, RefreshToken, Subject, user_info
from interfaces.oauth.server.proofs import (
    InvalidDpopProofError,
    ProofOfPossession,
    proof_jkt,
    spend_token_proof,
)
from interfaces.shared.services import services

RESOURCE_REFUSED = "The 'resource' is not one this server issues tokens for."
RESOURCE_NOT_AUTHORIZED = (
    "The 'resource' is not the one authorized: a token request may only name the resource "
    "its code was given for, or none."
)
RESOURCE_NOT_ALLOWED = "The 'resource' is not one this client may have tokens for."
ONE_RESOURCE = "One 'resource' per request."


def _asked_resource(values: Any) -> str | None:
    """The one RFC 8707 ``resource`` of a request (an authorization or a token request)."""
    asked = values.getlist("resource")
    if len(asked) > 1:
        raise InvalidTargetError(ONE_RESOURCE)
    return str(asked[0]) if asked else None


def _token_resource(authorized: str | None) -> str | None:
    """RFC 8707 §2.2, RFC 9700 §2.3: the resource a person's token is for, the one
    authorized; a token request may name it again, or none, never another
    (docs/decisions/0226-a-token-is-for-the-resource-authorized.md)."""
    asked = _asked_resource(request.values)
    if asked is not None and asked != authorized:
        raise InvalidTargetError(RESOURCE_NOT_AUTHORIZED)
    return authorized


def _refused_resource(resource: str, client: Client, config: OAuthConfig) -> str | None:
    """Why no token may be for ``resource``: not a resource (RFC 8707 §2), firegate's own
    API, or one outside the client's list; None if one may."""
    if unusable_resource(resource, config.forbidden_audiences):
        return RESOURCE_REFUSED
    if not client.client.allows_resource(resource):
        return RESOURCE_NOT_ALLOWED
    return None


def _authorization_refusal(data: Any, client: Client, config: OAuthConfig) -> OAuth2Error | None:
    """What the authorization endpoint refuses beyond Authlib's checks, before anyone is asked
    to consent: request objects, which are not supported (OpenID Connect Core §6), and a
    ``resource`` no token could be issued for (RFC 8707 §2), or more than one."""
    if "request" in data:
        return RequestNotSupportedError(description="Request objects are not supported.")
    if "request_uri" in data:
        return RequestURINotSupportedError(description="request_uri is not supported.")
    if "dpop_jkt" in data and _asked_jkt(data) is None:
        return InvalidRequestError(
            "dpop_jkt must be a JWK SHA-256 thumbprint (RFC 7638): 43 base64url characters."
        )
    try:
        resource = _asked_resource(data)
    except InvalidTargetError as refusal:
        return refusal
    refused = _refused_resource(resource, client, config) if resource is not None else None
    return InvalidTargetError(refused) if refused is not None else None


THUMBPRINT = re.compile(r"[A-Za-z0-9_-]{43}")  # RFC 7638's SHA-256, base64url


class CodeGrant(ProofOfPossession, grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = [*CONFIDENTIAL_AUTH, *PUBLIC_AUTH]

    def validate_authorization_request(self) -> str:
        redirect_uri: str = super().validate_authorization_request()
        refusal = _authorization_refusal(
            self.request.payload.data, self.request.client, self.server.config
        )
        if refusal is not None:  # back to the client: its redirect URI is registered
            refusal.redirect_uri, refusal.state = redirect_uri, self.request.payload.state
            raise refusal
        return redirect_uri

    def generate_authorization_code(self) -> str:
        subject: Subject = self.request.user
        return new_code(subject.user.id)

    def save_authorization_code(self, code: str, oauth_request: Any) -> None:
        subject: Subject = oauth_request.user
        data = oauth_request.payload.data
        services().oauth.save_code(
            NewCode(
                code=code,
                client_id=oauth_request.client.get_client_id(),
                user_id=subject.user.id,
                redirect_uri=oauth_request.payload.redirect_uri or "",
                scope=oauth_request.scope or "",
                code_challenge=data.get("code_challenge", ""),
                code_challenge_method=data.get("code_challenge_method", ""),
                auth_time=subject.auth_time,
                nonce=data.get("nonce"),
                resource=data.get("resource"),
                amr=subject.amr,
                dpop_jkt=_asked_jkt(data),
            )
        )

    def validate_token_request(self) -> None:
        with self._burnt_if_refused():
            super().validate_token_request()

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        with self._burnt_if_refused():
            answer: tuple[int, dict[str, Any], list[tuple[str, str]]]
            answer = super().create_token_response()
            return answer

    @contextmanager
    def _burnt_if_refused(self) -> Iterator[None]:
        """A code found and then refused (another ``redirect_uri``, a wrong verifier, a
        ``resource`` not authorized) is spent all the same, as if spent when found
        (docs/decisions/0182-codes-spent-once.md); one that passed is spent by ``save_token``,
        in one commit with its grant."""
        try:
            yield
        except OAuth2Error:
            found = self.found
            if found is not None and not found.settled:
                found.settled = True
                services().oauth.spend_code(SpendCode(found.code_text, found.presented.client_id))
            raise

    found: Code | None = None

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        presented = services().oauth.present_code(SpendCode(code, client.get_client_id()))
        self.found = Code(presented, code) if presented is not None else None
        return self.found

    def delete_authorization_code(self, authorization_code: Code) -> None:
        pass  # spent by save_token, with its grant: a code is spent once

    def authenticate_user(self, authorization_code: Code) -> Subject | None:
        code, user = authorization_code.code, authorization_code.presented.account
        if code.dpop_jkt is not None and code.dpop_jkt != proof_jkt(self.request.client):
            raise InvalidGrantError(  # RFC 9449 §10: the key the authorization named
                "The code was asked for with dpop_jkt: the token request needs a DPoP proof "
                "of that key."
            )
        resource = _token_resource(code.resource)
        return Subject(user, code.grant_id, code.auth_time, code.amr, resource)


class S256Required(CodeChallenge):  # type: ignore[misc]
    """PKCE for every client, S256 only (OAuth 2.1): a request without a challenge, or with
    ``plain``, is refused before anyone is asked anything."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge': PKCE is required.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'")
        super().validate_code_verifier(grant, result)

    def get_authorization_code_challenge(self, authorization_code: Code) -> str:
        return authorization_code.code.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code: Code) -> str:
        return authorization_code.code.code_challenge_method


class IdTokens(OpenIDCode):  # type: ignore[misc]
    def __init__(self, config: OAuthConfig) -> None:
        super().__init__(require_nonce=False)
        self.config = config

    def exists_nonce(self, nonce: str, oauth_request: Any) -> bool:
        return False  # each code is spent once, and its nonce with it

    def get_client_algorithm(self, client: Client) -> str:
        return self.config.id_token_alg

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": self.config.issuer,
            "aud": client.get_client_id(),  # one audience: a string (and RP logout finds it)
            "iat": now,
            "exp": now + self.config.access_token_ttl,
        }

    def generate_user_info(self, user: Subject | None, scope: str) -> UserInfo:
        return user_info(user, scope)

    def encode_id_token(self, token: dict[str, Any], oauth_request: OAuth2Request) -> str:
        """Authlib's claims (OpenID Connect Core §2, §3.1.3.6), signed by the provider's keys."""
        claims: dict[str, Any] = self.get_compatible_claims(oauth_request)
        if oauth_request.authorization_code:
            claims.update(self.get_authorization_code_claims(oauth_request.authorization_code))
        at_hash = create_half_hash(token["access_token"], self.config.id_token_alg)
        if at_hash is not None:
            claims["at_hash"] = at_hash.decode()
        claims.update(self.generate_user_info(oauth_request.user, token["scope"]))
        return self.config.keys.sign_id_token(claims)


class RefreshGrant(ProofOfPossession, grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = [*CONFIDENTIAL_AUTH, *PUBLIC_AUTH]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshToken | None:
        client_id = self.request.client.get_client_id()
        found = services().oauth.find_refresh(FindRefresh(refresh_token, client_id))
        return RefreshToken(found.grant, refresh_token, found.account) if found else None

    def authenticate_user(self, refresh_token: RefreshToken) -> Subject | None:
        grant, user = refresh_token.grant, refresh_token.account  # read with the grant
        if user is None:
            return None
        if not grant.refresh_key_holds(proof_jkt(self.request.client)):
            raise InvalidGrantError(
                "The refresh token is DPoP-bound: it needs a DPoP proof of its key."
            )
        return Subject(user, grant.id, resource=_token_resource(grant.resource))

    def revoke_old_credential(self, refresh_token: RefreshToken) -> None:
        pass  # rotated in save_token, atomically with the check that it is still current


class ClientCredentials(ProofOfPossession, grants.ClientCredentialsGrant):  # type: ignore[misc]
    """A client's own token: about no person, so never ``openid`` or ``offline_access``
    (docs/decisions/0225-a-clients-own-tokens.md)."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = list(CONFIDENTIAL_AUTH)
    own_scope = ""

    def validate_token_request(self) -> None:
        super().validate_token_request()
        client: Client = self.request.client
        try:
            scopes = client.client.own_scope(scope_list(self.request.payload.scope))
        except DomainError as exc:
            raise InvalidScopeError(exc.detail) from exc
        self.own_scope = " ".join(scopes)
        resource = _asked_resource(request.values)  # no person authorized one: the client's list
        refused = _refused_resource(resource, client, self.server.config) if resource else None
        if refused is not None:
            raise InvalidTargetError(refused)
        client.resource = resource

    def generate_token(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        kwargs["scope"] = self.own_scope
        token: dict[str, Any] = super().generate_token(*args, **kwargs)
        return token


class AccessTokens(JWTBearerTokenGenerator):  # type: ignore[misc]
    """RFC 9068 access tokens: ``aud`` the client, or the RFC 8707 ``resource``; signed by
    the provider's keys."""

    def __init__(self, config: OAuthConfig) -> None:
        super().__init__(
            issuer=config.issuer,
            alg=config.keys.access_alg,
            refresh_token_generator=lambda *args, **kwargs: "",  # made by the use case
            expires_generator=lambda client, grant_type: config.access_token_ttl,
        )
        self.config = config

    def access_token_generator(
        self, client: Client, grant_type: str, user: Subject | None, scope: str
    ) -> str:
        """RFC 9068 §2.2's claims: ``sub`` the person, or the client for its own token."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "exp": now + self.config.access_token_ttl,
            "client_id": client.get_client_id(),
            "iat": now,
            "jti": self.get_jti(client, grant_type, user, scope),
            "scope": scope,
            "sub": user.get_user_id() if user is not None else client.get_client_id(),
            "aud": self.get_audiences(client, user, scope),
        }
        if auth_time := self.get_auth_time(user):
            claims["auth_time"] = auth_time
        if amr := self.get_amr(user):
            claims["amr"] = amr
        claims.update(self.get_extra_claims(client, grant_type, user, scope))
        return self.config.keys.sign_access(claims)

    def get_audiences(self, client: Client, user: Subject | None, scope: str) -> str:
        resource = user.resource if user is not None else client.resource
        return resource or client.get_client_id()

    def get_auth_time(self, user: Subject | None) -> int | None:
        return int(user.auth_time.timestamp()) if user and user.auth_time else None

    def get_amr(self, user: Subject | None) -> list[str] | None:
        return list(user.amr) if user and user.amr else None

    def get_extra_claims(
        self, client: Client, grant_type: str, user: Subject | None, scope: str
    ) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if user is not None and user.grant_id:
            extra[GRANT_CLAIM] = user.grant_id
        if client.dpop is not None:  # RFC 9449 §6.1: bound to the proof's key
            extra["cnf"] = {"jkt": client.dpop.jkt}
        return extra


def save_token(token: dict[str, Any], oauth_request: Any) -> None:
    """Keep what the grant gave (``_keep``), then count the tokens issued by their grant's
    type: one Authlib's server knows, as it got this far."""
    _keep(token, oauth_request)
    services().metrics.token_issued(str(oauth_request.payload.grant_type))


def _keep(token: dict[str, Any], oauth_request: Any) -> None:
    """The grant's first refresh token (only with ``offline_access``), or the next one of a
    refresh."""
    oauth = services().oauth
    subject: Subject | None = oauth_request.user
    wants_refresh = "offline_access" in scope_list(token.get("scope"))
    token.pop("refresh_token", None)
    client: Client = oauth_request.client
    proof = client.dpop
    if proof is not None:
        token["token_type"] = "DPoP"  # RFC 9449 §5
    refreshing = getattr(oauth_request, "refresh_token", None) is not None
    if proof is not None and not refreshing:  # a refresh spends it in its rotation's commit
        spend_token_proof(proof)
    if subject is None or subject.grant_id is None:
        return  # client_credentials: nothing kept, the token carries all
    try:
        if refreshing:
            old: RefreshToken = oauth_request.refresh_token
            successor = oauth.rotate_refresh(
                RotateRefresh(old.grant.id, old.grant.user_id, old.token, proof)
            )
            if successor is None:
                raise InvalidGrantError("The refresh token was already used.")
            token["refresh_token"] = successor
            return
        code: Code = oauth_request.authorization_code
        code.settled = True  # spent here, or found spent by another exchange: refused
        bound = proof_jkt(client) if client.client.binds_refresh_tokens() else None
        exchanged = oauth.exchange_code(ExchangeCode(code.presented, wants_refresh, bound))
    except InvalidProof as exc:
        raise InvalidDpopProofError(exc.detail) from exc
    except DomainError as exc:
        raise InvalidGrantError("The grant was revoked.") from exc
    if exchanged is None:
        raise InvalidGrantError("The code was already used.")
    if exchanged.refresh_token is not None:
        token["refresh_token"] = exchanged.refresh_token


def _asked_jkt(data: Any) -> str | None:
    """RFC 9449 §10: the DPoP key an authorization request binds its code to, if named."""
    asked = data.get("dpop_jkt")
    return asked if isinstance(asked, str) and THUMBPRINT.fullmatch(asked) else None
