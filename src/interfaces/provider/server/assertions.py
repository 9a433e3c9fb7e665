"""``private_key_jwt`` client authentication (RFC 7523 §2.2, OpenID Connect Core §9), on
Authlib's JWT bearer client assertion: at the token endpoint, ``/oauth/par``, introspection
and revocation (docs/reference/oauth.md, "Client authentication with a signed assertion")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from authlib.oauth2.rfc6749.errors import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from flask import request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from application.clients.client_keys import ClientKeys
from application.clients.services import ClientServices
from application.provider.grants import SpendProof
from application.provider.services import ProviderServices
from domain.clients.client_keys import PRIVATE_KEY_JWT
from domain.errors import DomainError
from domain.provider.assertions import (
    ASSERTION_ALGORITHMS,
    ASSERTION_TYPE,
    CLOCK_LEEWAY,
    AssertionId,
    lifetime_refusal,
)
from domain.provider.dpop import InvalidProof
from interfaces.provider.server.models.models import Client
from interfaces.shared.services import services


def _refused(description: str) -> InvalidClientError:
    """RFC 6749 §5.2: a client that failed to authenticate, 401 (as a wrong secret is)."""
    return InvalidClientError(description=description, status_code=401)


class PrivateKeyJwt(JWTBearerClientAssertion):  # type: ignore[misc]
    """An assertion signed with one of the client's keys (RS256, ES256 or PS256): ``iss`` and
    ``sub`` its client_id, ``aud`` the issuer or the URL it is sent to, ``exp`` within
    minutes, a ``jti`` accepted once."""

    CLIENT_AUTH_METHOD = PRIVATE_KEY_JWT

    def __init__(self, issuer: str) -> None:
        super().__init__(validate_jti=True, leeway=int(CLOCK_LEEWAY.total_seconds()))
        self.issuer = issuer

    def __call__(self, query_client: Any, oauth_request: Any) -> Client | None:
        form = oauth_request.form
        if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
            return None
        headers, _ = self.extract_assertion(form["client_assertion"])
        if headers.get("alg") not in ASSERTION_ALGORITHMS:
            raise _refused(
                "The assertion must be signed with " + ", ".join(ASSERTION_ALGORITHMS) + "."
            )
        try:
            client: Client | None = super().__call__(query_client, oauth_request)
        except InvalidClientError as error:  # Authlib's own refusals (claims, jti): 401 too
            error.status_code = 401
            raise
        named = form.get("client_id")
        if client is not None and named is not None and named != client.get_client_id():
            raise _refused("The client_id is not the assertion's.")
        return client

    def get_audiences(self) -> list[str]:
        return [self.issuer, f"{self.issuer}{request.path}"]

    def resolve_client_public_key(self, client: Client) -> KeySet:
        """The client's keys; a ``kid`` they lack has a ``jwks_uri`` fetched again (once
        in a while): the client may have just added the key."""
        if not client.client.signs_assertions:
            raise _refused("The client has no keys: it uses a secret.")
        headers, _ = self.extract_assertion(request.form["client_assertion"])
        kid = headers.get("kid")
        try:
            found = (
                services()
                .of(ClientServices)
                .keys.client_keys(ClientKeys(client.client, kid if isinstance(kid, str) else None))
            )
        except DomainError as exc:
            raise _refused(exc.detail) from exc
        return KeySet.import_key_set(found)  # type: ignore[arg-type]  # a JWK Set checked

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> dict[str, Any]:
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=list(ASSERTION_ALGORITHMS))
        except (JoseError, ValueError, TypeError, KeyError) as exc:  # a forged header's too
            raise _refused("The assertion's signature is not one of the client's keys.") from exc
        claims: dict[str, Any] = dict(token.claims)
        refusal = lifetime_refusal(claims, datetime.now(UTC))
        if refusal is not None:
            raise _refused(refusal)
        self.verify_claims(claims)
        return claims

    def validate_jti(self, claims: dict[str, Any], jti: object) -> bool:
        if not isinstance(jti, str) or not jti or len(jti) > 200:
            return False
        expires_at = datetime.fromtimestamp(float(claims["exp"]), UTC)
        try:
            services().of(ProviderServices).grants.spend_proof(
                SpendProof(AssertionId(claims["sub"], jti, expires_at))
            )
        except InvalidProof:
            return False
        return True

    def authenticate_client(self, client: Client) -> Client:
        if client.check_endpoint_auth_method(PRIVATE_KEY_JWT, "token"):
            return client
        raise _refused("The client does not authenticate with keys.")
