"""Every JWT firegate signs (PyJWT): the API's access tokens, HS256 with a shared secret or
ES256/RS256 with a key pair; and the OpenID Connect provider's access and ID tokens."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import get_default_algorithms

from application.remembered import Remembered
from application.signin.ports import AccessClaims, IssuedToken
from domain.errors import Unauthenticated
from domain.ids import is_id, new_id
from domain.signin.active_org import ActiveOrg

ACCESS_TOKEN_TYPE = "at+jwt"  # RFC 9068: typed, so no other JWT passes as an access token
REQUIRED_CLAIMS = ["iss", "aud", "sub", "user_id", "role", "sid", "jti", "iat", "nbf", "exp"]
MAX_LEEWAY = 30
MIN_SECRET_BYTES = 32
# Access tokens whose signature and claims this process has verified, by the token's exact
# text: a client sends one token with every request for its lifetime, so the signature check
# and the claim parsing are done once per token, not once per request
# (docs/decisions/0152-verified-token-cache.md).
VERIFIED_CACHE_SIZE = 2048


@dataclass(frozen=True)
class SigningKey:
    algorithm: str  # HS256, ES256 or RS256
    key: Any  # bytes for HS256; a loaded private key object otherwise
    kid: str | None = None


def _algorithm_of(public_key: Any) -> str:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if not isinstance(public_key.curve, ec.SECP256R1):
            raise ValueError("EC keys must be on P-256 (ES256)")
        return "ES256"
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < 2048:
            raise ValueError("RSA keys must have at least 2048 bits")
        return "RS256"
    raise ValueError("JWT keys must be EC P-256 (ES256) or RSA (RS256)")


def public_jwk(public_key: Any) -> dict[str, Any]:
    """The public JWK with ``kid`` (RFC 7638 thumbprint), ``alg`` and ``use``."""
    algorithm = _algorithm_of(public_key)
    impl = get_default_algorithms()[algorithm]
    jwk: dict[str, Any] = impl.to_jwk(public_key, as_dict=True)
    required = ("crv", "kty", "x", "y") if jwk["kty"] == "EC" else ("e", "kty", "n")
    canonical = json.dumps({k: jwk[k] for k in required}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    kid = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return {**{k: jwk[k] for k in required}, "kid": kid, "alg": algorithm, "use": "sig"}


_SEGMENT = re.compile(r"[A-Za-z0-9_-]*")
# The last character of a segment of 2 or 3 characters mod 4 carries 4 or 2 unused bits,
# which canonical base64url sets to zero.
_CANONICAL_LAST = {2: frozenset("AQgw"), 3: frozenset("AEIMQUYcgkosw048")}


def canonical_segments(token: str) -> bool:
    """Whether each of the token's three segments is canonical base64url: only the URL-safe
    alphabet, no padding, zero unused bits. Decoders forgive other spellings, so without
    this one token would have many accepted texts (docs/reference/sessions.md)."""
    segments = token.split(".")
    if len(segments) != 3:
        return False
    for segment in segments:
        if not segment or _SEGMENT.fullmatch(segment) is None:
            return False
        tail = len(segment) % 4
        if tail == 1 or (tail in _CANONICAL_LAST and segment[-1] not in _CANONICAL_LAST[tail]):
            return False
    return True


def unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header, read only to pick the key and reject other token types early.

    ``jwt.get_unverified_header`` decodes the whole token (payload and signature too, with a
    per-character alphabet check), and ``decode`` then does it all again: that doubled the
    cost of verifying every request's token. PyJWT's ``decode`` still parses this header
    strictly afterwards, so reading it leniently here accepts nothing more.
    """
    segment = token.partition(".")[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error, RecursionError):  # UnicodeDecodeError is a ValueError
        raise jwt.InvalidTokenError("malformed header") from None
    if not isinstance(header, dict):
        raise jwt.InvalidTokenError("malformed header")
    return header


def signing_key_from_pem(pem: bytes) -> SigningKey:
    private_key = serialization.load_pem_private_key(pem, password=None)  # once: slow per call
    jwk = public_jwk(private_key.public_key())
    return SigningKey(algorithm=jwk["alg"], key=private_key, kid=jwk["kid"])


def public_key_from_pem(pem: bytes) -> Any:
    return serialization.load_pem_public_key(pem)


class PyJWTTokenIssuer:
    def __init__(
        self,
        *,
        signing: SigningKey,
        issuer: str,
        audience: str,
        ttl: timedelta,
        leeway: int = 10,
        previous_public_key: Any = None,
    ) -> None:
        if not 0 <= leeway <= MAX_LEEWAY:
            raise ValueError(f"leeway must be 0..{MAX_LEEWAY} seconds")
        if signing.algorithm == "HS256" and len(signing.key) < MIN_SECRET_BYTES:
            raise ValueError(f"the HS256 secret must be at least {MIN_SECRET_BYTES} bytes")
        self._signing = signing
        self._issuer, self._audience = issuer, audience
        self._ttl, self._leeway = ttl, leeway
        # One algorithm only: never `none`, never HS and RS/ES mixed (key-confusion attacks).
        self._algorithms = [signing.algorithm]
        self._jwks: list[dict[str, Any]] = []
        if signing.algorithm == "HS256":
            if previous_public_key is not None:
                raise ValueError("a previous public key needs an ES256/RS256 signing key")
            self._keys: dict[str | None, Any] = {None: signing.key}
        else:
            public_keys = [signing.key.public_key()]
            if previous_public_key is not None:
                if _algorithm_of(previous_public_key) != signing.algorithm:
                    raise ValueError("the previous key must use the same algorithm")
                public_keys.append(previous_public_key)
            self._jwks = [public_jwk(key) for key in public_keys]
            self._keys = {jwk["kid"]: key for jwk, key in zip(self._jwks, public_keys, strict=True)}
        self._jwt = jwt.PyJWT()
        # token text -> claims, until exp + leeway; the oldest dropped first.
        self._verified: Remembered[str, AccessClaims] = Remembered(VERIFIED_CACHE_SIZE)

    def issue_access(
        self,
        *,
        user_id: str,
        role: str,
        session_id: str,
        now: datetime,
        not_after: datetime | None = None,
        amr: Sequence[str] = (),
        org: ActiveOrg | None = None,
        claims: Mapping[str, object] | None = None,
    ) -> IssuedToken:
        expires_at = now + self._ttl
        if not_after is not None:
            expires_at = min(expires_at, not_after)
        issued = int(now.timestamp())
        payload: dict[str, Any] = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": user_id,
            "user_id": user_id,
            "role": role,
            "sid": session_id,
            "jti": new_id(),
            "iat": issued,
            "nbf": issued,
            "exp": int(expires_at.timestamp()),
        }
        if amr:
            payload["amr"] = list(amr)
        if org is not None:
            payload["org"] = org.claim()
        if claims:  # the claim sources' and the hook's, under the frame
            payload = {**claims, **payload}
        headers: dict[str, Any] = {"typ": ACCESS_TOKEN_TYPE}
        if self._signing.kid:
            headers["kid"] = self._signing.kid
        token = self._jwt.encode(
            payload, self._signing.key, algorithm=self._signing.algorithm, headers=headers
        )
        return IssuedToken(token=token, expires_at=datetime.fromtimestamp(payload["exp"], UTC))

    def verify_access(self, token: str) -> AccessClaims:
        # Valid while now < exp + leeway, PyJWT's rule; once past it, verified again (and
        # refused as expired).
        known = self._verified.get(token, time.time())
        if known is not None:
            return known
        claims = self._verify_access(token)
        self._verified.put(token, claims, claims.expires_at.timestamp() + self._leeway)
        return claims

    def _verify_access(self, token: str) -> AccessClaims:
        try:
            if not canonical_segments(token):
                raise jwt.InvalidTokenError("not canonical base64url")
            header = unverified_header(token)
            if header.get("typ") != ACCESS_TOKEN_TYPE or "crit" in header:
                raise jwt.InvalidTokenError("not an access token")
            kid = header.get("kid")
            if kid is not None and not isinstance(kid, str):
                raise jwt.InvalidTokenError("malformed key id")
            key = self._keys.get(kid)
            if key is None:
                raise jwt.InvalidTokenError("unknown key id")
            claims = self._jwt.decode(
                token,
                key,
                algorithms=self._algorithms,
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": REQUIRED_CLAIMS, "strict_aud": True},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("The access token has expired.", code="token_expired") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated("The access token is not valid.", code="invalid_token") from exc
        values = [claims.get(name) for name in ("sub", "user_id", "sid", "jti", "role")]
        if not all(isinstance(v, str) and v for v in values) or claims["sub"] != claims["user_id"]:
            raise Unauthenticated("The access token is not valid.", code="invalid_token")
        amr = claims.get("amr", [])
        if not isinstance(amr, list) or not all(isinstance(method, str) for method in amr):
            raise Unauthenticated("The access token is not valid.", code="invalid_token")
        org = claims.get("org")
        org_id = org.get("id") if isinstance(org, dict) else None
        if org is not None and not (isinstance(org_id, str) and is_id(org_id)):
            raise Unauthenticated("The access token is not valid.", code="invalid_token")
        try:
            expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
        except (OverflowError, ValueError, OSError):  # an exp past the year 9999
            raise Unauthenticated("The access token is not valid.", code="invalid_token") from None
        return AccessClaims(
            user_id=claims["sub"],
            session_id=claims["sid"],
            role=claims["role"],
            jti=claims["jti"],
            expires_at=expires_at,
            amr=tuple(amr),
            org_id=org_id,
        )

    def jwks(self) -> dict[str, Any]:
        """The public keys that verify our tokens (empty with a shared HS256 secret)."""
        return {"keys": list(self._jwks)}


# The provider's access tokens verified in this process, by their exact text: a resource server
# introspects one token at each call it serves, so the signature is checked once per token per
# process; whether it still holds is read every time
# (docs/decisions/0202-verified-access-tokens-per-process.md).
PROVIDER_VERIFIED_CACHE_SIZE = 2048
ID_TOKEN_TYPE = "JWT"
# OpenID Connect Back-Channel Logout §2.4's recommended ``typ`` of a logout token
LOGOUT_TOKEN_TYPE = "logout+jwt"
# RFC 8417 §2.3's ``typ`` of a Security Event Token
SECURITY_EVENT_TOKEN_TYPE = "secevent+jwt"
# draft-ietf-oauth-identity-assertion-authz-grant §3: an ID-JAG's ``typ``
ID_JAG_TYPE = "oauth-id-jag+jwt"


class PyJWTProviderTokens:
    """The OpenID Connect provider's tokens: access tokens (RFC 9068) signed with its key, and
    ID tokens with the same key or, when that one is EC, with an RSA key of their own
    (docs/decisions/0212-rs256-id-tokens.md). Each key is named by its RFC 7638 ``kid``."""

    def __init__(
        self, *, issuer: str, signing: SigningKey, id_token: SigningKey | None = None
    ) -> None:
        for key in (signing, id_token):
            if key is not None and (key.algorithm == "HS256" or key.kid is None):
                raise ValueError("the provider signs with an ES256 or RS256 key pair")
        self._issuer, self._signing = issuer, signing
        self._id_token = id_token or signing
        keys = [signing] if id_token is None else [signing, id_token]
        self._jwks = [public_jwk(key.key.public_key()) for key in keys]
        self._public = {
            jwk["kid"]: key.key.public_key() for jwk, key in zip(self._jwks, keys, strict=True)
        }
        self._jwt = jwt.PyJWT()
        self._verified: Remembered[str, dict[str, Any]] = Remembered(PROVIDER_VERIFIED_CACHE_SIZE)

    @property
    def access_alg(self) -> str:
        return self._signing.algorithm

    @property
    def id_token_alg(self) -> str:
        return self._id_token.algorithm

    def public_jwks(self) -> list[dict[str, Any]]:
        return [dict(jwk) for jwk in self._jwks]

    def sign_access(self, claims: dict[str, Any]) -> str:
        return self._sign(claims, self._signing, ACCESS_TOKEN_TYPE)

    def sign_id_token(self, claims: dict[str, Any]) -> str:
        return self._sign(claims, self._id_token, ID_TOKEN_TYPE)

    def sign_logout_token(self, claims: dict[str, Any]) -> str:
        return self._sign(claims, self._id_token, LOGOUT_TOKEN_TYPE)

    def sign_id_jag(self, claims: dict[str, Any]) -> str:
        return self._sign(claims, self._id_token, ID_JAG_TYPE)

    def sign_security_event(self, claims: dict[str, Any]) -> str:
        return self._sign(claims, self._id_token, SECURITY_EVENT_TOKEN_TYPE)

    def verify_id_token(self, token: str) -> dict[str, Any] | None:
        """Only an ID token (``typ`` ``JWT``, the ID-token key), never an access token or an
        ID-JAG signed with the same key."""
        try:
            header = unverified_header(token)
            kid = header.get("kid")
            key = self._public.get(kid) if isinstance(kid, str) else None
            if header.get("typ") != ID_TOKEN_TYPE or key is None or kid != self._id_token.kid:
                return None
            claims: dict[str, Any] = self._jwt.decode(
                token,
                key,
                algorithms=[self._id_token.algorithm],
                issuer=self._issuer,
                options={"require": ["iss", "exp", "iat", "sub", "aud"], "verify_aud": False},
            )
        except jwt.InvalidTokenError:
            return None
        return claims

    def _sign(self, claims: dict[str, Any], key: SigningKey, typ: str) -> str:
        headers = {"typ": typ, "kid": key.kid}
        return self._jwt.encode(claims, key.key, algorithm=key.algorithm, headers=headers)

    def verify_access(self, token: str) -> dict[str, Any] | None:
        """A token verified before is not verified again until its ``exp``."""
        known = self._verified.get(token, time.time())
        if known is not None:
            return dict(known)
        claims = self._verify_access(token)
        if claims is not None:
            self._verified.put(token, dict(claims), float(claims["exp"]))
        return claims

    def _verify_access(self, token: str) -> dict[str, Any] | None:
        try:
            header = unverified_header(token)
            kid = header.get("kid")
            key = self._public.get(kid) if isinstance(kid, str) else None
            if header.get("typ") != ACCESS_TOKEN_TYPE or key is None:
                return None
            claims: dict[str, Any] = self._jwt.decode(
                token,
                key,
                algorithms=[self._signing.algorithm],
                issuer=self._issuer,
                options={"require": ["iss", "exp", "sub", "client_id"], "verify_aud": False},
            )
        except jwt.InvalidTokenError:
            return None
        return claims
