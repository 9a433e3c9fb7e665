"""A SET's signature checked with PyJWT against a transmitter's JWK Set (RFC 8417): the key
its header's ``kid`` names (the only key, when the set has one and the header names none),
an asymmetric algorithm only; the claims are held to the stream by the domain's rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jwt

from application.shared_signals.receiver.ports import Json, UnknownKey
from domain.shared_signals.receiver.sets import INVALID_KEY, INVALID_REQUEST, Refused

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")


class PyJwtSetSignatures:
    def claims(self, token: str, jwks: Json) -> Json:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Refused(INVALID_REQUEST, "The body is not a signed JWT.") from None
        if header.get("alg") not in ALGORITHMS:
            raise Refused(INVALID_KEY, "The SET is not signed with an asymmetric algorithm.")
        key = _key(jwks, header.get("kid"))
        try:
            found: dict[str, Any] = jwt.decode(
                token,
                key=jwt.PyJWK.from_dict(dict(key)).key,
                algorithms=[str(header["alg"])],
                options={"verify_aud": False, "verify_iss": False, "verify_exp": False},
            )
        except (jwt.PyJWTError, ValueError, TypeError):
            raise Refused(INVALID_KEY, "The SET's signature does not verify.") from None
        return found


def _key(jwks: Json, kid: object) -> Mapping[str, object]:
    keys = jwks.get("keys")
    listed = [k for k in keys if isinstance(k, Mapping)] if isinstance(keys, list) else []
    if kid is None and len(listed) == 1:
        return listed[0]
    for key in listed:
        if kid is not None and key.get("kid") == kid:
            return key
    raise UnknownKey(str(kid))
