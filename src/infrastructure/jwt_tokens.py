"""Access tokens as JWTs (PyJWT): HS256 with a shared secret, or ES256/RS256 with a key pair."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from application.ports import AccessClaims, IssuedToken
from domain.errors import Unauthenticated
from domain.ids import new_id

ACCESS_TOKEN_TYPE = "at+jwt"  # RFC 9068: typed, so no other JWT passes as an access token
REQUIRED_CLAIMS = ["iss", "aud", "sub", "user_id", "role", "sid", "jti", "iat", "nbf", "exp"]
MAX_LEEWAY = 30
MIN_SECRET_BYTES = 32


@dataclass(frozen=True)
class SigningKey:
    algorithm: str  # HS256, ES256 or RS256
    key: Any  # bytes for HS256; a loaded private key object otherwise
    kid: str | None = None


class PyJWTTokenIssuer:
    def __init__(
        self,
        *,
        signing: SigningKey,
        issuer: str,
        audience: str,
        ttl: timedelta,
        leeway: int = 10,
        verification: dict[str, Any] | None = None,
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
        if signing.algorithm == "HS256":
            self._keys: dict[str | None, Any] = {None: signing.key}
        else:
            self._keys = {signing.kid: signing.key.public_key()}
            self._keys.update(verification or {})
        self._jwt = jwt.PyJWT()

    def issue_access(
        self, *, user_id: str, role: str, session_id: str, now: datetime
    ) -> IssuedToken:
        expires_at = now + self._ttl
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
        headers: dict[str, Any] = {"typ": ACCESS_TOKEN_TYPE}
        if self._signing.kid:
            headers["kid"] = self._signing.kid
        token = self._jwt.encode(
            payload, self._signing.key, algorithm=self._signing.algorithm, headers=headers
        )
        return IssuedToken(token=token, expires_at=datetime.fromtimestamp(payload["exp"], UTC))

    def verify_access(self, token: str) -> AccessClaims:
        try:
            header = jwt.get_unverified_header(token)
            if header.get("typ") != ACCESS_TOKEN_TYPE or "crit" in header:
                raise jwt.InvalidTokenError("not an access token")
            key = self._keys.get(header.get("kid"))
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
        return AccessClaims(
            user_id=claims["sub"],
            session_id=claims["sid"],
            role=claims["role"],
            jti=claims["jti"],
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        )
