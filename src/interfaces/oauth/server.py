"""Authlib's authorization server over firegate's OAuth use cases (docs/reference/oauth.md).

Authlib speaks the protocol: parameters, PKCE, errors, token and ID-token formats, metadata.
What it asks its models and hooks (a client, a code, a grant, a user's claims) is answered by
the use cases in application/oauth/; nothing here decides a rule of its own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload, FlaskOAuth2Request
from authlib.oauth2.base import invalid_error_characters
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Request, TokenMixin, grants
from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    UnsupportedResponseTypeError,
)
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc6750.errors import InvalidTokenError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7591 import ClientMetadataClaims, ClientRegistrationEndpoint
from authlib.oauth2.rfc7591.errors import InvalidClientMetadataError
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from authlib.oauth2.rfc9207 import IssuerParameter
from authlib.oidc.core import OpenIDCode, UserInfo, UserInfoEndpoint
from authlib.oidc.core.errors import RequestNotSupportedError, RequestURINotSupportedError
from authlib.oidc.core.models import AuthorizationCodeMixin
from authlib.oidc.rpinitiated import EndSessionEndpoint
from flask import Flask, Request, Response, request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from application.oauth import (
    CreateClient,
    FindRefresh,
    IssueGrant,
    LiveGrant,
    NewCode,
    RevokeClientToken,
    RevokeGrant,
    RotateRefresh,
    SpendCode,
    claims_of,
    new_client_id,
)
from application.remembered import Remembered
from domain.errors import DomainError
from domain.oauth import SCOPES, AuthorizationCode, Grant, OAuthClient, scope_list
from domain.users import User
from interfaces.shared.services import services

GRANT_CLAIM = "grant_id"  # the access token's grant: revoked with it (userinfo, introspection)
# Access tokens whose signature and claims this process has verified, by their exact text: a
# resource server introspects one token at each call it serves, so the signature is checked
# once per token per process; whether it still holds is read every time
# (docs/decisions/0202-verified-access-tokens-per-process.md).
VERIFIED_CACHE_SIZE = 2048
PUBLIC_AUTH = ("none",)
CONFIDENTIAL_AUTH = ("client_secret_basic", "client_secret_post")


@dataclass(frozen=True)
class OAuthConfig:
    issuer: str  # PUBLIC_URL
    private_jwk: dict[str, Any]  # the signing key as a private JWK, with kid and alg
    access_token_ttl: int = 600
    dynamic_registration: bool = False
    forbidden_audiences: tuple[str, ...] = ()  # firegate's own API's audience
    public_jwks: list[dict[str, Any]] = field(default_factory=list)
    # The RSA key of RS256 ID tokens when the signing key is EC; None: the signing key's own
    # (docs/decisions/0212-rs256-id-tokens.md).
    id_token_jwk: dict[str, Any] | None = None

    @property
    def alg(self) -> str:
        """The access tokens' algorithm."""
        return str(self.private_jwk["alg"])

    @property
    def id_token_alg(self) -> str:
        return str((self.id_token_jwk or self.private_jwk)["alg"])


class InvalidTargetError(OAuth2Error):  # type: ignore[misc]
    """RFC 8707 §2: the ``resource`` is not one firegate issues tokens for."""

    error = "invalid_target"


# -- the models Authlib asks


class Client(ClientMixin):  # type: ignore[misc]
    def __init__(self, client: OAuthClient) -> None:
        self.client = client
        self.client_id = client.client_id
        # The resource of the client's own token (client_credentials), checked by its grant:
        # one Client is made for each request that names the client.
        self.resource: str | None = None

    @property
    def client_metadata(self) -> dict[str, Any]:
        return {"post_logout_redirect_uris": list(self.client.post_logout_redirect_uris)}

    def get_client_id(self) -> str:
        return self.client.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.client.redirect_uris
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        return " ".join(self.client.allowed_scope(scope_list(scope)))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        if self.client.allows_redirect(redirect_uri):
            return True
        if invalid_error_characters(redirect_uri):
            # Authlib quotes the refused URI in its error's description, which may hold only
            # printable ASCII but '"' and '\\': say it without the URI instead of failing.
            raise InvalidRequestError("The redirect_uri is not one this client registered.")
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return self.client.secret_matches(client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in (CONFIDENTIAL_AUTH if self.client.confidential else PUBLIC_AUTH)

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.client.grant_types()


@dataclass
class Subject:
    """The user a token is about, as Authlib's grants carry it."""

    user: User
    grant_id: str | None = None
    auth_time: datetime | None = None
    amr: tuple[str, ...] = ()
    resource: str | None = None

    def get_user_id(self) -> str:
        return self.user.id


class Code(AuthorizationCodeMixin):  # type: ignore[misc]
    def __init__(self, code: AuthorizationCode) -> None:
        self.code = code

    def get_redirect_uri(self) -> str:
        return self.code.redirect_uri

    def get_scope(self) -> str:
        return self.code.scope

    def get_nonce(self) -> str | None:
        return self.code.nonce

    def get_auth_time(self) -> int:
        return int(self.code.auth_time.timestamp())

    def get_acr(self) -> str | None:
        return None

    def get_amr(self) -> list[str] | None:
        return list(self.code.amr) or None


class RefreshToken(TokenMixin):  # type: ignore[misc]
    def __init__(self, grant: Grant, token: str) -> None:
        self.grant, self.token = grant, token

    def check_client(self, client: Client) -> bool:
        return client.get_client_id() == self.grant.client_id

    def get_scope(self) -> str:
        return self.grant.scope

    def get_expires_in(self) -> int:
        return 0

    def is_expired(self) -> bool:
        return False

    def is_revoked(self) -> bool:
        return self.grant.revoked


class AccessToken(TokenMixin):  # type: ignore[misc]
    """A verified access token (a JWT of ours), or a refresh token found by its grant."""

    def __init__(
        self,
        claims: dict[str, Any],
        live: bool,
        kind: str = "access_token",
        *,
        account: User | None = None,
    ) -> None:
        self.claims, self.live, self.kind = claims, live, kind
        self.account = account  # read with the grant by the liveness check, if it was

    def check_client(self, client: Client) -> bool:
        return self.claims.get("client_id") == client.get_client_id()

    @property
    def scope(self) -> str:
        return str(self.claims.get("scope", ""))

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int(self.claims.get("exp", 0)) - int(self.claims.get("iat", 0))

    def is_expired(self) -> bool:
        exp = self.claims.get("exp")
        return exp is not None and int(exp) <= time.time()

    def is_revoked(self) -> bool:
        return not self.live

    def get_user(self) -> Subject | None:
        if self.account is not None:
            return Subject(self.account)
        user = services().oauth.account(str(self.claims.get("sub", "")))
        return Subject(user) if user is not None else None

    def get_client(self) -> Client | None:
        found = services().oauth.client(str(self.claims.get("client_id", "")))
        return Client(found) if found is not None else None


# -- signing and verifying


class Keys:
    def __init__(self, config: OAuthConfig) -> None:
        self.config = config
        self.private = KeySet.import_key_set({"keys": [config.private_jwk]})
        self.id_token_private = KeySet.import_key_set(
            {"keys": [config.id_token_jwk or config.private_jwk]}
        )
        private = ("d", "p", "q", "dp", "dq", "qi")
        public = list(config.public_jwks) or [
            {k: v for k, v in jwk.items() if k not in private}
            for jwk in (config.private_jwk, config.id_token_jwk)
            if jwk is not None
        ]
        self.public = KeySet.import_key_set({"keys": public})
        self._verified: Remembered[str, dict[str, Any]] = Remembered(VERIFIED_CACHE_SIZE)

    def verify_access(self, token: str) -> dict[str, Any] | None:
        """The claims of an access token firegate issued and that is still valid, else None.
        A token verified before is not verified again until its ``exp``."""
        known = self._verified.get(token, time.time())
        if known is not None:
            return dict(known)
        claims = self._verify_access(token)
        if claims is not None:
            self._verified.put(token, dict(claims), float(claims["exp"]))
        return claims

    def _verify_access(self, token: str) -> dict[str, Any] | None:
        try:
            decoded = jwt.decode(token, self.public, algorithms=[self.config.alg])
            if decoded.header.get("typ") != "at+jwt":
                return None
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": self.config.issuer},
                exp={"essential": True},
                sub={"essential": True},
                client_id={"essential": True},
            ).validate(decoded.claims)
        except (JoseError, ValueError):
            return None
        return dict(decoded.claims)


def token_state(keys: Keys, token: str) -> AccessToken | None:
    """An access token with whether it still holds, or a refresh token as such; None if it is
    neither. Liveness: the grant it came from (a user's token), or its client and whether it
    was revoked (a client's own)."""
    oauth = services().oauth
    dots = token.count(".")
    claims = keys.verify_access(token) if dots == 2 else None  # a JWS has three parts
    if claims is not None:
        grant_id = claims.get(GRANT_CLAIM)
        live = oauth.client(str(claims["client_id"])) is not None  # a deleted client's: none
        if live and isinstance(grant_id, str):
            holding = oauth.live_grant(LiveGrant(grant_id, str(claims["sub"])))
            live, account = holding is not None, holding.account if holding else None
            return AccessToken(claims, live, account=account)
        if live:
            live = not oauth.client_token_revoked(str(claims.get("jti", "")))
        return AccessToken(claims, live)
    if dots == 1:
        grant = oauth.live_refresh(token)  # the grant's current one, checked by its hash
        if grant is None:
            return None
        claims = {"client_id": grant.client_id, "scope": grant.scope, "sub": grant.user_id}
        live = oauth.client(grant.client_id) is not None  # a deleted client's: none
        return AccessToken(claims | {GRANT_CLAIM: grant.id}, live, "refresh_token")
    return None


# -- grants


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


def _unusable_resource(asked: str, config: OAuthConfig) -> bool:
    """RFC 8707 §2: an absolute URI without a fragment, and never firegate's own API."""
    return "#" in asked or "://" not in asked or asked in config.forbidden_audiences


def _refused_resource(resource: str, client: Client, config: OAuthConfig) -> str | None:
    """Why no token may be for ``resource``: not a resource (RFC 8707 §2), firegate's own
    API, or one outside the client's list; None if one may."""
    if _unusable_resource(resource, config):
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
    try:
        resource = _asked_resource(data)
    except InvalidTargetError as refusal:
        return refusal
    refused = _refused_resource(resource, client, config) if resource is not None else None
    return InvalidTargetError(refused) if refused is not None else None


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
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
                auth_time=subject.auth_time or datetime.now().astimezone(),
                nonce=data.get("nonce"),
                resource=data.get("resource"),
                amr=subject.amr,
            )
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        spent = services().oauth.spend_code(SpendCode(code, client.get_client_id()))
        return Code(spent) if spent is not None else None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        pass  # spent when it was found (query_authorization_code): a code is found once

    def authenticate_user(self, authorization_code: Code) -> Subject | None:
        code = authorization_code.code
        user = services().oauth.account(code.user_id)
        if user is None:
            return None
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
    def __init__(self, keys: Keys) -> None:
        super().__init__(require_nonce=False)
        self.keys = keys

    def exists_nonce(self, nonce: str, oauth_request: Any) -> bool:
        return False  # each code is spent once, and its nonce with it

    def resolve_client_private_key(self, client: Client) -> KeySet:
        return self.keys.id_token_private

    def get_client_algorithm(self, client: Client) -> str:
        return self.keys.config.id_token_alg

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": self.keys.config.issuer,
            "aud": client.get_client_id(),  # one audience: a string (and RP logout finds it)
            "iat": now,
            "exp": now + self.keys.config.access_token_ttl,
        }

    def generate_user_info(self, user: Subject | None, scope: str) -> UserInfo:
        if user is None:  # an app's own token (client_credentials) is about no person
            raise InvalidTokenError(description="This token is not about a user.")
        return UserInfo(claims_of(user.user, scope))


class RefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = [*CONFIDENTIAL_AUTH, *PUBLIC_AUTH]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshToken | None:
        client_id = self.request.client.get_client_id()
        grant = services().oauth.find_refresh(FindRefresh(refresh_token, client_id))
        return RefreshToken(grant, refresh_token) if grant is not None else None

    def authenticate_user(self, refresh_token: RefreshToken) -> Subject | None:
        grant = refresh_token.grant
        user = services().oauth.account(grant.user_id)
        if user is None:
            return None
        return Subject(user, grant.id, resource=_token_resource(grant.resource))

    def revoke_old_credential(self, refresh_token: RefreshToken) -> None:
        pass  # rotated in save_token, atomically with the check that it is still current


class ClientCredentials(grants.ClientCredentialsGrant):  # type: ignore[misc]
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
    """RFC 9068 access tokens: ``aud`` the client, or the RFC 8707 ``resource``."""

    def __init__(self, keys: Keys) -> None:
        super().__init__(
            issuer=keys.config.issuer,
            alg=keys.config.alg,
            refresh_token_generator=lambda *args, **kwargs: "",  # made by the use case
            expires_generator=lambda client, grant_type: keys.config.access_token_ttl,
        )
        self.keys = keys

    def get_jwks(self) -> KeySet:
        return self.keys.private

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
        return {GRANT_CLAIM: user.grant_id} if user is not None and user.grant_id else {}


def save_token(token: dict[str, Any], oauth_request: Any) -> None:
    """Keep what the grant gave: the grant's first refresh token (only with
    ``offline_access``), or the next one of a refresh."""
    oauth = services().oauth
    subject: Subject | None = oauth_request.user
    wants_refresh = "offline_access" in scope_list(token.get("scope"))
    token.pop("refresh_token", None)
    if subject is None or subject.grant_id is None:
        return  # client_credentials: nothing kept, the token carries all
    try:
        if getattr(oauth_request, "refresh_token", None) is not None:
            old: RefreshToken = oauth_request.refresh_token
            successor = oauth.rotate_refresh(
                RotateRefresh(old.grant.id, old.grant.user_id, old.token)
            )
            if successor is None:
                raise InvalidGrantError("The refresh token was already used.")
            token["refresh_token"] = successor
            return
        first = oauth.issue_grant(
            IssueGrant(
                subject.grant_id,
                subject.user.id,
                oauth_request.client.get_client_id(),
                wants_refresh,
            )
        )
    except DomainError as exc:
        raise InvalidGrantError("The grant was revoked.") from exc
    if first is not None:
        token["refresh_token"] = first


# -- endpoints


class _AnyHint:
    """RFC 7662 §2.1 and RFC 7009 §2.1: ``token_type_hint`` only helps the search, and every
    kind of token is searched whatever it says, so a hint of another value is ignored rather
    than refused (Authlib refuses it, as a 401)."""

    def check_params(self, oauth_request: Any, client: Client) -> None:
        if "token" not in oauth_request.form:
            raise InvalidRequestError(description="The token to look at is missing (token).")


class Revocation(_AnyHint, RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS: ClassVar[list[str]] = [*CONFIDENTIAL_AUTH, *PUBLIC_AUTH]

    def __init__(self, keys: Keys) -> None:
        super().__init__()
        self.keys = keys

    def query_token(self, token_string: str, token_type_hint: str | None) -> AccessToken | None:
        return token_state(self.keys, token_string)

    def revoke_token(self, token: AccessToken, oauth_request: Any) -> None:
        grant_id = token.claims.get(GRANT_CLAIM)
        client_id = oauth_request.client.get_client_id()
        if isinstance(grant_id, str):
            services().oauth.revoke_grant(RevokeGrant(grant_id, client_id))
            return
        claims = token.claims  # a client's own token: no user's grant, only itself to end
        services().oauth.revoke_client_token(
            RevokeClientToken(
                jti=str(claims.get("jti", "")),
                token_client_id=str(claims.get("client_id", "")),
                client_id=client_id,
                expires_at=datetime.fromtimestamp(int(claims.get("exp", 0)), UTC),
            )
        )


class Introspection(_AnyHint, IntrospectionEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS: ClassVar[list[str]] = list(CONFIDENTIAL_AUTH)

    def __init__(self, keys: Keys) -> None:
        super().__init__()
        self.keys = keys

    def query_token(self, token_string: str, token_type_hint: str | None) -> AccessToken | None:
        return token_state(self.keys, token_string)

    def check_permission(self, token: AccessToken, client: Client, oauth_request: Any) -> bool:
        """Who learns about a token (RFC 7662 §4; otherwise ``{"active": false}``): the
        client it was issued to, any of its tokens; and an access token for a resource
        (RFC 8707 ``resource``, its ``aud`` not the client) any confidential client, as
        resource servers register (docs/decisions/0210-who-may-introspect-a-token.md)."""
        if token.check_client(client):
            return True
        if token.kind != "access_token" or not client.client.confidential:
            return False
        return token.claims.get("aud") not in (None, token.claims.get("client_id"))

    def introspect_token(self, token: AccessToken) -> dict[str, Any]:
        claims = token.claims
        answer = {
            "active": True,
            "token_type": token.kind,
            "client_id": claims.get("client_id"),
            "scope": claims.get("scope"),
            "sub": claims.get("sub"),
            "iss": self.keys.config.issuer,
        }
        for name in ("aud", "exp", "iat", "jti", "auth_time"):
            if name in claims:
                answer[name] = claims[name]
        return answer


class UserInfoValidator(BearerTokenValidator):  # type: ignore[misc]
    def __init__(self, keys: Keys) -> None:
        super().__init__()
        self.keys = keys

    def authenticate_token(self, token_string: str) -> AccessToken | None:
        token = token_state(self.keys, token_string)
        if token is None or token.kind != "access_token":
            raise InvalidTokenError()
        return token


class UserInfoClaims(UserInfoEndpoint):  # type: ignore[misc]
    def get_issuer(self) -> str:
        return self.server.config.issuer  # type: ignore[no-any-return]

    def generate_user_info(self, user: Subject | None, scope: str) -> UserInfo:
        if user is None:  # an app's own token (client_credentials) is about no person
            raise InvalidTokenError(description="This token is not about a user.")
        return UserInfo(claims_of(user.user, scope))


# The grants a client registered here (public, PKCE) can use: client_credentials, which the
# server supports, is for confidential clients only. Authlib refuses the rest itself.
PUBLIC_GRANT_TYPES = frozenset({"authorization_code", "refresh_token"})


class Registration(ClientRegistrationEndpoint):  # type: ignore[misc]
    """RFC 7591 for public clients only (``token_endpoint_auth_method`` ``none``)."""

    def authenticate_token(self, oauth_request: Any) -> bool:
        return True  # open registration of public clients, when switched on

    def resolve_public_key(self, oauth_request: Any) -> None:
        return None

    def get_server_metadata(self) -> dict[str, Any]:
        return metadata(self.server.config)

    def generate_client_secret(self, oauth_request: Any) -> None:
        return None

    def generate_client_id(self, oauth_request: Any) -> str:
        return new_client_id()

    def save_client(
        self, client_info: dict[str, Any], client_metadata: dict[str, Any], oauth_request: Any
    ) -> Client:
        if client_metadata.get("token_endpoint_auth_method", "none") != "none":
            raise InvalidClientMetadataError("Only public clients register here: use 'none'.")
        unusable = set(client_metadata.get("grant_types") or ()) - PUBLIC_GRANT_TYPES
        if unusable:  # RFC 7591 §2.1: metadata that cannot work together are refused
            raise InvalidClientMetadataError(
                f"A public client cannot use {', '.join(sorted(unusable))}: only "
                "authorization_code and refresh_token."
            )
        try:
            created = services().oauth.create_client(
                CreateClient(
                    name=str(client_metadata.get("client_name") or "unnamed app"),
                    redirect_uris=tuple(client_metadata.get("redirect_uris") or ()),
                    scopes=scope_list(client_metadata.get("scope")),
                    post_logout_redirect_uris=tuple(
                        oauth_request.payload.data.get("post_logout_redirect_uris") or ()
                    ),
                    dynamic=True,
                    client_id=client_info["client_id"],
                )
            )
        except DomainError as exc:
            raise InvalidClientMetadataError(exc.detail) from exc
        client_info.pop("client_secret", None)
        client_info.pop("client_secret_expires_at", None)
        return Client(created.client)

    def generate_client_info(self, oauth_request: Any) -> dict[str, Any]:
        info: dict[str, Any] = super().generate_client_info(oauth_request)
        info.pop("client_secret", None)
        info.pop("client_secret_expires_at", None)
        return info


class EndSession(EndSessionEndpoint):  # type: ignore[misc]
    def __init__(self, keys: Keys) -> None:
        super().__init__()
        self.keys = keys

    def get_server_jwks(self) -> KeySet:
        return self.keys.public

    def get_algorithms(self) -> list[str]:
        return [self.keys.config.id_token_alg]  # the hint is an ID token

    def is_post_logout_redirect_uri_legitimate(self, *args: Any) -> bool:
        return False  # only with an id_token_hint

    def end_session(self, end_session_request: Any) -> None:
        pass  # the route ends the browser's session (it holds the cookies)


class Issuer(IssuerParameter):  # type: ignore[misc]
    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def get_issuer(self) -> str:
        return self.issuer


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


class Server(AuthorizationServer):  # type: ignore[misc]
    config: OAuthConfig
    keys: Keys
    issuer_parameter: Issuer

    def create_oauth2_request(self, _: object) -> _Request:
        return _Request(request)

    def handle_error_response(self, oauth_request: Any, error: OAuth2Error) -> Response:
        if not error.description:  # Authlib leaves some bare: every error says what it means
            error.description = ERROR_DESCRIPTIONS.get(error.error, "")
        found: Response = super().handle_error_response(oauth_request, error)
        return found

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


def metadata(config: OAuthConfig) -> dict[str, Any]:
    """OpenID Provider Metadata and RFC 8414 Authorization Server Metadata (one document)."""
    base = config.issuer
    found: dict[str, Any] = {
        "issuer": base,
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "userinfo_endpoint": f"{base}/oauth/userinfo",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "introspection_endpoint": f"{base}/oauth/introspect",
        "end_session_endpoint": f"{base}/oauth/logout",
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [config.id_token_alg],
        "token_endpoint_auth_methods_supported": [*CONFIDENTIAL_AUTH, *PUBLIC_AUTH],
        "revocation_endpoint_auth_methods_supported": [*CONFIDENTIAL_AUTH, *PUBLIC_AUTH],
        "introspection_endpoint_auth_methods_supported": list(CONFIDENTIAL_AUTH),
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": ["none", "login", "consent"],
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "amr",
            "preferred_username",
            "name",
            "given_name",
            "family_name",
            "locale",
            "updated_at",
            "email",
            "email_verified",
            "roles",
        ],
        "authorization_response_iss_parameter_supported": True,
        "resource_indicators_supported": True,
    }
    if config.dynamic_registration:
        found["registration_endpoint"] = f"{base}/oauth/register"
    return found


def build_server(app: Flask, config: OAuthConfig) -> Server:
    keys = Keys(config)
    server = Server()
    server.config, server.keys = config, keys
    server.init_app(app, query_client=_query_client, save_token=save_token)
    server.register_token_generator("default", AccessTokens(keys))
    server.scopes_supported = list(SCOPES)
    server.register_grant(CodeGrant, [S256Required(required=True), IdTokens(keys)])
    server.register_grant(RefreshGrant)
    server.register_grant(ClientCredentials)
    server.issuer_parameter = Issuer(config.issuer)
    server.register_extension(server.issuer_parameter)
    server.register_endpoint(Revocation(keys))
    server.register_endpoint(Introspection(keys))
    protector = ResourceProtector()
    protector.register_token_validator(UserInfoValidator(keys))
    server.register_endpoint(UserInfoClaims(resource_protector=protector))
    server.register_endpoint(EndSession(keys))
    if config.dynamic_registration:
        server.register_endpoint(Registration(claims_classes=[ClientMetadataClaims]))
    return server


def _query_client(client_id: str) -> Client | None:
    if not isinstance(client_id, str) or not client_id or len(client_id) > 200:
        return None
    found = services().oauth.client(client_id)
    return Client(found) if found is not None else None
