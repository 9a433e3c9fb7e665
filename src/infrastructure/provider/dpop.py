"""DPoP proofs (RFC 9449 §4) checked with PyJWT's algorithms: the JWS is split and each part
decoded once, the ``jwk`` of its header parsed once into the key its signature is checked
with, then the claims are checked by the domain's rules (domain/provider/dpop.py). Asymmetric
algorithms only; the key must suit the algorithm (the curve of an EC key, 2048 bits of RSA).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from jwt import PyJWK
from jwt.exceptions import InvalidKeyError, PyJWKError

from domain.provider.dpop import InvalidProof, Nonces, Proof, ProofRequest, check_claims

# The algorithms accepted, and the curve each EC or OKP one needs (None: RSA).
ALGORITHMS: Mapping[str, str | None] = {
    "ES256": "P-256",
    "ES384": "P-384",
    "ES512": "P-521",
    "EdDSA": "Ed25519",
    "RS256": None,
    "PS256": None,
}
MAX_PROOF_CHARS = 8000  # a proof with an RSA-4096 key is about 1,400
MIN_RSA_BITS = 2048


def _decoded(part: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidProof("The DPoP proof is not a JWS.") from exc


def _json_object(part: str) -> dict[str, Any]:
    try:
        found = json.loads(_decoded(part))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidProof("The DPoP proof is not a JWS.") from exc
    if not isinstance(found, dict):
        raise InvalidProof("The DPoP proof is not a JWS.")
    return found


class JwtProofs:
    """Checks DPoP proofs; makes and checks the server's nonces (``Nonces``)."""

    algorithms = tuple(ALGORITHMS)

    def __init__(self, nonce_key: bytes) -> None:
        self.nonces = Nonces(nonce_key)

    def nonce(self, now: int) -> str:
        return self.nonces.current(now)

    def check(self, proof: str, request: ProofRequest) -> Proof:
        """The proof's key and ``jti`` when it is a valid proof for ``request``; else
        ``InvalidProof`` (or ``NonceRequired`` when only the server's nonce is missing)."""
        if not isinstance(proof, str) or len(proof) > MAX_PROOF_CHARS or proof.count(".") != 2:
            raise InvalidProof("The DPoP header is not one compact JWS.")
        header_part, claims_part, signature_part = proof.split(".")
        header = _json_object(header_part)
        if header.get("typ") != "dpop+jwt":
            raise InvalidProof("The proof's typ must be dpop+jwt.")
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in ALGORITHMS:
            raise InvalidProof(f"The proof's alg must be one of {', '.join(ALGORITHMS)}.")
        jwk = header.get("jwk")
        if not isinstance(jwk, dict):
            raise InvalidProof("The proof's header has no jwk.")
        key = _public_key(jwk, alg)
        signing_input = f"{header_part}.{claims_part}".encode()
        if not key.Algorithm.verify(signing_input, key.key, _decoded(signature_part)):
            raise InvalidProof("The proof's signature does not hold.")
        return check_claims(header, _json_object(claims_part), request, self.nonces)


def _public_key(jwk: dict[str, Any], alg: str) -> PyJWK:
    """The proof's ``jwk``, parsed once, if it is a public key that suits ``alg``."""
    curve = ALGORITHMS[alg]
    kty = jwk.get("kty")
    if (curve is None and kty != "RSA") or (curve is not None and jwk.get("crv") != curve):
        raise InvalidProof(f"The proof's jwk does not suit {alg}.")
    if "d" in jwk or "k" in jwk:
        raise InvalidProof("The proof's jwk must be a public key.")
    try:
        key = PyJWK(jwk, algorithm=alg)
    except (PyJWKError, InvalidKeyError, ValueError, TypeError, KeyError) as exc:
        raise InvalidProof("The proof's jwk is not a valid key.") from exc
    if curve is None and getattr(key.key, "key_size", 0) < MIN_RSA_BITS:
        raise InvalidProof("The proof's RSA key is shorter than 2048 bits.")
    return key
