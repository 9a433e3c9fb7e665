"""The grants Authlib runs: authorization code (PKCE S256, ID tokens), refresh token, client
credentials; what their tokens are for, which the provider's one mint turns into tokens
(application/provider/minting.py), and what is kept of them (docs/reference/oauth.md, "Tokens")."""

from __future__ import annotations

import re
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
from authlib.oidc.core import OpenIDCode
from authlib.oidc.core.errors import RequestNotSupportedError, RequestURINotSupportedError
from flask import request

from application.provider.grants import (
    ExchangeCode,
    FindRefresh,
    NewCode,
    RotateRefresh,
    SpendCode,
    new_code,
)
from application.provider.minting import MintAccessToken, MintIdToken
from application.provider.services import ProviderServices
from domain.clients.oauth import scope_list, unusable_resource
from domain.errors import DomainError
from domain.provider.claims_request import parse_claims
from domain.provider.dpop import InvalidProof
from domain.signin.acr import acr_of
from interfaces.provider.server.models.config import (
    CONFIDENTIAL_AUTH,
    PUBLIC_AUTH,
    InvalidTargetError,
    OAuthConfig,
)
from interfaces.provider.server.models.models import (
    Client,
    Code,
    RefreshToken,
    Subject,
    not_admitted,
    org_of,
)
from interfaces.provider.server.models.proofs import (
    InvalidDpopProofError,
    ProofOfPossession,
    proof_jkt,
    spend_token_proof,
)
from interfaces.provider.server.models.scopes import (
    check_acr,
    check_resource_scopes,
    org_refusal,
    token_scope,
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


def _token_resource(authorized: str | None, client: Client) -> str | None:
    """RFC 8707 §2.2, RFC 9700 §2.3: the resource a person's token is for, the one
    authorized; a token request may name it again, or none, never another
    (docs/decisions/0226-a-token-is-for-the-resource-authorized.md). An org's app's, while
    the resource still allows the org."""
    asked = _asked_resource(request.values)
    if asked is not None and asked != authorized:
        raise InvalidTargetError(RESOURCE_NOT_AUTHORIZED)
    refused = org_refusal(authorized, client)
    if refused is not None:  # the operator no longer allows the org at that resource
        raise InvalidTargetError(refused)
    return authorized


def _refused_resource(resource: str, client: Client, config: OAuthConfig) -> str | None:
    """Why no token may be for ``resource``: not a resource (RFC 8707 §2), firegate's own
    API, or one outside the client's list; None if one may."""
    if unusable_resource(resource, config.forbidden_audiences):
        return RESOURCE_REFUSED
    if not client.client.allows_resource(resource):
        return RESOURCE_NOT_ALLOWED
    return org_refusal(resource, client)


def _authorization_refusal(data: Any, client: Client, config: OAuthConfig) -> OAuth2Error | None:
    """What the authorization endpoint refuses beyond Authlib's checks, before anyone is asked
    to consent: request objects, which are not supported (OpenID Connect Core §6), and a
    ``resource`` no token could be issued for (RFC 8707 §2), or more than one."""
    if "request" in data:
        return RequestNotSupportedError(description="Request objects are not supported.")
    if "request_uri" in data:
        return RequestURINotSupportedError(description="request_uri is not supported.")
    try:
        parse_claims(data.get("claims"))
    except DomainError as exc:
        return InvalidRequestError(exc.detail)
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
        data, client = self.request.payload.data, self.request.client
        refusal = _authorization_refusal(data, client, self.server.config)
        if refusal is None:
            try:
                check_resource_scopes(data.get("scope"), data.get("resource"), client)
            except OAuth2Error as refused:
                refusal = refused
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
        client: Client = oauth_request.client
        asked = parse_claims(data.get("claims")).within(client.client.scopes)
        services().of(ProviderServices).grants.save_code(
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
                org_id=subject.org.id if subject.org is not None else None,
                sid=subject.sid,
                id_token_claims=asked.id_token,
                userinfo_claims=asked.userinfo,
                acting_admin_id=subject.acting_admin_id,
                acting_until=subject.acting_until,
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
                services().of(ProviderServices).grants.spend_code(
                    SpendCode(found.code_text, found.presented.client_id)
                )
            raise

    found: Code | None = None

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        presented = (
            services()
            .of(ProviderServices)
            .grants.present_code(SpendCode(code, client.get_client_id()))
        )
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
        resource = _token_resource(code.resource, self.request.client)
        org = org_of(user.id, code.org_id)
        subject = Subject(
            user,
            code.grant_id,
            code.auth_time,
            code.amr,
            resource,
            org,
            userinfo_claims=code.userinfo_claims,
            acting_admin_id=code.acting_admin_id,
            acting_until=code.acting_until,
        )
        # left the org of its app since the code, or the org it acts in no longer allows it
        refused = not_admitted(self.request.client, subject, org_id=code.org_id)
        if refused is not None:
            raise InvalidGrantError(refused)
        return subject


class S256Required(CodeChallenge):  # type: ignore[misc]
    """PKCE, S256 only (OAuth 2.1), for every client that requires it: every public client,
    and a confidential one unless registered ``--pkce optional``: a request of theirs without
    a challenge, or with ``plain``, is refused before anyone is asked anything. A client that
    may go without, and sends a challenge all the same, is held to it; a verifier for a code
    asked without a challenge is refused (RFC 9700 §4.8, Authlib's check)."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        client: Client = grant.request.client
        asked = data.get("code_challenge") or data.get("code_challenge_method")
        if not client.client.pkce_required and not asked:
            return
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge': PKCE is required.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        code: Code = grant.request.authorization_code
        if code.code.code_challenge and not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'")
        super().validate_code_verifier(grant, result)

    def get_authorization_code_challenge(self, authorization_code: Code) -> str:
        return authorization_code.code.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code: Code) -> str:
        return authorization_code.code.code_challenge_method


class IdTokens(OpenIDCode):  # type: ignore[misc]
    """The code's ID token, when its scope has ``openid``: Authlib asks for it once the
    tokens are kept (``save_token``)."""

    def exists_nonce(self, nonce: str, oauth_request: Any) -> bool:
        return False  # each code is spent once, and its nonce with it

    def encode_id_token(self, token: dict[str, Any], oauth_request: OAuth2Request) -> str:
        code: Code = oauth_request.authorization_code
        subject: Subject = oauth_request.user
        return (
            services()
            .of(ProviderServices)
            .minting.mint_id_token(
                MintIdToken(
                    client_id=oauth_request.client.get_client_id(),
                    user=subject.user,
                    scope=token["scope"],
                    access_token=token["access_token"],
                    auth_time=code.code.auth_time,
                    amr=code.code.amr,
                    nonce=code.code.nonce,
                    org=subject.org,
                    sid=code.code.sid,
                    claims=code.code.id_token_claims,
                    acting_admin_id=code.code.acting_admin_id,
                    acting_until=code.code.acting_until,
                    grant_id=code.code.grant_id,
                )
            )
        )


class RefreshGrant(ProofOfPossession, grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = [*CONFIDENTIAL_AUTH, *PUBLIC_AUTH]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshToken | None:
        client_id = self.request.client.get_client_id()
        found = (
            services()
            .of(ProviderServices)
            .grants.find_refresh(FindRefresh(refresh_token, client_id))
        )
        return (
            RefreshToken(found.grant, refresh_token, found.account, found.read) if found else None
        )

    def authenticate_user(self, refresh_token: RefreshToken) -> Subject | None:
        grant, user = refresh_token.grant, refresh_token.account  # read with the grant
        if user is None:
            return None
        if not grant.refresh_key_holds(proof_jkt(self.request.client)):
            raise InvalidGrantError(
                "The refresh token is DPoP-bound: it needs a DPoP proof of its key."
            )
        org = org_of(user.id, grant.org_id)
        resource = _token_resource(grant.resource, self.request.client)
        subject = Subject(
            user,
            grant.id,
            grant.auth_time,  # the sign-in the grant's first token was of, kept
            grant.amr,
            resource=resource,
            org=org,
            userinfo_claims=grant.userinfo_claims,
            acting_admin_id=grant.acting_admin_id,
            acting_until=grant.acting_until,
        )
        refused = not_admitted(self.request.client, subject, grant.created_at, grant.org_id)
        if refused is not None:
            raise InvalidGrantError(refused)
        return subject

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
        resource = _asked_resource(request.values)  # no person authorized one: the client's list
        refused = _refused_resource(resource, client, self.server.config) if resource else None
        if refused is not None:
            raise InvalidTargetError(refused)
        check_resource_scopes(self.request.payload.scope, resource, client)
        try:
            scopes = client.client.own_scope(scope_list(self.request.payload.scope))
        except DomainError as exc:
            raise InvalidScopeError(exc.detail) from exc
        self.own_scope = " ".join(scopes)
        client.resource = resource

    def generate_token(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        kwargs["scope"] = self.own_scope
        token: dict[str, Any] = super().generate_token(*args, **kwargs)
        return token


def access_token(
    *,
    grant_type: str,
    client: Client,
    user: Subject | None = None,
    scope: str | None = None,
    expires_in: int | None = None,
    include_refresh_token: bool = True,
) -> dict[str, Any]:
    """Authlib's token generator (called with keywords): the answer of the grants it runs, in
    RFC 6750 §4's shape, around the access token the mint makes of what the grant found (the
    person, or none for a client's own token; the resource; the proof's key). Its lifetime is
    the mint's (none of these grants sets ``expires_in``); a refresh token is the use cases'
    (``save_token``), whatever ``include_refresh_token`` says."""
    return token_answer(client, user, client.get_allowed_scope(scope))


def token_answer(client: Client, user: Subject | None, scope: str) -> dict[str, Any]:
    """The access token of every grant, of ``scope`` as the grant settled it: Authlib's
    (``access_token``) and an ID-JAG's (jwt_bearer.py). A person's is of a sign-in of the
    class its resource takes (``check_acr``), names the admin of a session of support access
    in ``act`` and never outlives that session (the mint)."""
    resource = user.resource if user is not None else client.resource
    org = user.org if user is not None else None
    if user is not None:  # a person's token: of a sign-in the resource takes
        check_acr(resource, acr_of(user.amr))
    allowed = token_scope(scope, resource, client, org)
    minted = (
        services()
        .of(ProviderServices)
        .minting.mint_access_token(
            MintAccessToken(
                client_id=client.get_client_id(),
                scope=allowed,
                user_id=user.get_user_id() if user is not None else None,
                grant_id=user.grant_id if user is not None else None,
                resource=resource,
                auth_time=user.auth_time if user is not None else None,
                amr=user.amr if user is not None else (),
                jkt=proof_jkt(client),
                org=org,
                client_org_id=client.client.org_id,
                userinfo_claims=user.userinfo_claims if user is not None else (),
                user=user.user if user is not None else None,
                acting_admin_id=user.acting_admin_id if user is not None else None,
                acting_until=user.acting_until if user is not None else None,
            )
        )
    )
    token: dict[str, Any] = {
        "token_type": "Bearer",
        "access_token": minted.token,
        "expires_in": minted.expires_in,
    }
    if allowed:
        token["scope"] = allowed
    return token


def save_token(token: dict[str, Any], oauth_request: Any) -> None:
    """Keep what the grant gave: the grant's first refresh token (only with
    ``offline_access``), or the next one of a refresh."""
    codes_and_grants = services().of(ProviderServices).grants
    subject: Subject | None = oauth_request.user
    wants_refresh = "offline_access" in scope_list(token.get("scope"))
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
            successor = codes_and_grants.rotate_refresh(
                RotateRefresh(old.grant.id, old.grant.user_id, old.token, proof, old.read)
            )
            if successor is None:
                raise InvalidGrantError("The refresh token was already used.")
            token["refresh_token"] = successor
            return
        code: Code = oauth_request.authorization_code
        code.settled = True  # spent here, or found spent by another exchange: refused
        bound = proof_jkt(client) if client.client.binds_refresh_tokens() else None
        exchanged = codes_and_grants.exchange_code(
            ExchangeCode(code.presented, wants_refresh, bound)
        )
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
