"""DPoP proofs (RFC 9449) checked against the RFC's own examples, and each refusal its
sections ask for (docs/reference/oauth.md, "DPoP"): domain/provider/dpop.py's rules, with the
signature checked by infrastructure/provider/dpop.py."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from domain.provider.dpop import (
    InvalidProof,
    NonceRequired,
    Nonces,
    Proof,
    ProofRequest,
    access_token_hash,
    normalized_url,
    thumbprint,
)
from infrastructure.provider.dpop import JwtProofs

pytestmark = pytest.mark.unit

# RFC 9449 Figure 2 (§4.1): a proof for the token endpoint; Figure 13 (§7.1): for a resource,
# with the ``ath`` of Figure 13's access token; the key's thumbprint of Figures 8 and 9.
FIGURE_2 = (
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNo"
    "UklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERW"
    "clUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0"
    "dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-F"
    "dWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"
)
FIGURE_13 = (
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNo"
    "UklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERW"
    "clUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1"
    "IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwi"
    "YXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yRqzhrtNP86L-Ey71"
    "EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA"
)
RFC_TOKEN = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"
RFC_JKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
TOKEN_URL = "https://server.example.com/token"
RESOURCE_URL = "https://resource.example.org/protectedresource"
# RFC 7638 §3.1's RSA key and its thumbprint.
RFC7638_KEY = {
    "kty": "RSA",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJ"
    "ECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2Qvzq"
    "Y368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4"
    "lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
proofs = JwtProofs(b"k" * 32)


def at(url: str, now: int, method: str = "POST", **more: Any) -> ProofRequest:
    return ProofRequest(method=method, url=url, now=now, **more)


def test_the_rfcs_token_request_proof_holds_and_names_its_key() -> None:
    proof = proofs.check(FIGURE_2, at(TOKEN_URL, 1562262616))
    assert proof == Proof(RFC_JKT, "-BwC3ESc6acc2lTc")


def test_the_rfcs_resource_proof_holds_for_its_access_token_only() -> None:
    request = at(RESOURCE_URL, 1562262618, "GET", access_token=RFC_TOKEN)
    assert proofs.check(FIGURE_13, request).jkt == RFC_JKT
    assert access_token_hash(RFC_TOKEN) == "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
    other = at(RESOURCE_URL, 1562262618, "GET", access_token=RFC_TOKEN + "x")
    with pytest.raises(InvalidProof, match="ath"):
        proofs.check(FIGURE_13, other)


def test_thumbprints_are_rfc_7638s() -> None:
    assert thumbprint(RFC7638_KEY) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    with pytest.raises(InvalidProof):
        thumbprint({"kty": "oct", "k": "c2VjcmV0"})


def test_htu_is_compared_without_query_or_fragment_after_normalisation() -> None:
    assert normalized_url("HTTPS://Server.Example.com:443/token?x=1#f") == TOKEN_URL
    assert normalized_url("http://127.0.0.1:80") == "http://127.0.0.1/"
    assert normalized_url("https://a.example/%7ea") == normalized_url("https://a.example/%7Ea")
    assert normalized_url("https://server.example.com:8443/token") != TOKEN_URL
    assert normalized_url("https://server.example.com/token/") != TOKEN_URL
    for bad in ("/token", "ftp://x/", "https://[::1/", "https://x:99999/"):
        assert normalized_url(bad) is None
    proofs.check(FIGURE_2, at(TOKEN_URL + "?ignored=1", 1562262616))


def test_a_proof_for_another_method_or_url_is_refused() -> None:
    with pytest.raises(InvalidProof, match="htm"):
        proofs.check(FIGURE_2, at(TOKEN_URL, 1562262616, "GET"))
    with pytest.raises(InvalidProof, match="htu"):
        proofs.check(FIGURE_2, at("https://server.example.com/other", 1562262616))


def test_a_proof_outside_the_iat_window_is_refused() -> None:
    proofs.check(FIGURE_2, at(TOKEN_URL, 1562262616 + 60))
    proofs.check(FIGURE_2, at(TOKEN_URL, 1562262616 - 60))
    for now in (1562262616 + 61, 1562262616 - 61):
        with pytest.raises(InvalidProof, match="iat"):
            proofs.check(FIGURE_2, at(TOKEN_URL, now))


def _part(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _tampered(header: dict[str, Any] | None = None, claims: dict[str, Any] | None = None) -> str:
    head, body, signature = FIGURE_2.split(".")
    head = _part(header) if header is not None else head
    body = _part(claims) if claims is not None else body
    return f"{head}.{body}.{signature}"


def _decoded(part: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return found


RFC_HEADER = _decoded(FIGURE_2.split(".", maxsplit=1)[0])
RFC_CLAIMS = _decoded(FIGURE_2.split(".")[1])


def test_a_changed_claim_breaks_the_signature() -> None:
    with pytest.raises(InvalidProof, match="signature"):
        proofs.check(_tampered(claims={**RFC_CLAIMS, "jti": "other"}), at(TOKEN_URL, 1562262616))


@pytest.mark.parametrize(
    ("header", "why"),
    [
        ({**RFC_HEADER, "typ": "JWT"}, "typ"),
        ({**RFC_HEADER, "alg": "HS256"}, "alg"),
        ({**RFC_HEADER, "alg": "none"}, "alg"),
        ({**RFC_HEADER, "alg": "ES384"}, "suit"),
        ({k: v for k, v in RFC_HEADER.items() if k != "jwk"}, "jwk"),
        ({**RFC_HEADER, "jwk": {**RFC_HEADER["jwk"], "d": "c2VjcmV0"}}, "public"),
        ({**RFC_HEADER, "jwk": {**RFC_HEADER["jwk"], "x": "AAAA"}}, "valid key"),
    ],
)
def test_a_header_that_is_not_a_dpop_proofs_is_refused(header: dict[str, Any], why: str) -> None:
    with pytest.raises(InvalidProof, match=why):
        proofs.check(_tampered(header=header), at(TOKEN_URL, 1562262616))


@pytest.mark.parametrize(
    "text", ["", "a.b", "a.b.c.d", "!!!.e30.e30", "e30.e30.e30", "W10.e30.e30", "x" * 9000]
)
def test_what_is_no_jws_is_refused(text: str) -> None:
    with pytest.raises(InvalidProof):
        proofs.check(text, at(TOKEN_URL, 1562262616))


def _signed(key: Any, alg: str, claims: dict[str, Any], **header: Any) -> str:
    public = json.loads(jwt.algorithms.get_default_algorithms()[alg].to_jwk(key.public_key()))
    headers = {"typ": "dpop+jwt", "jwk": public, **header}
    return jwt.encode(claims, key, algorithm=alg, headers=headers)


def _claims(now: int, **more: Any) -> dict[str, Any]:
    return {
        "jti": f"j{time.perf_counter_ns()}",
        "htm": "POST",
        "htu": TOKEN_URL,
        "iat": now,
        **more,
    }


@pytest.mark.parametrize(
    ("key", "alg"),
    [
        (ec.generate_private_key(ec.SECP256R1()), "ES256"),
        (ec.generate_private_key(ec.SECP384R1()), "ES384"),
        (ed25519.Ed25519PrivateKey.generate(), "EdDSA"),
        (rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256"),
        (rsa.generate_private_key(public_exponent=65537, key_size=2048), "PS256"),
    ],
)
def test_each_algorithm_offered_is_accepted(key: Any, alg: str) -> None:
    proof = proofs.check(_signed(key, alg, _claims(1000)), at(TOKEN_URL, 1000))
    assert proof.jkt == thumbprint(RFC_HEADER["jwk"]) or len(proof.jkt) == 43


@pytest.mark.filterwarnings("ignore::jwt.InsecureKeyLengthWarning")  # made to be refused
def test_a_short_rsa_key_is_refused() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - to be refused
    with pytest.raises(InvalidProof, match="2048"):
        proofs.check(_signed(key, "RS256", _claims(1000)), at(TOKEN_URL, 1000))


def test_claims_missing_or_of_another_type_are_refused() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    for claims in (
        {k: v for k, v in _claims(1000).items() if k != "jti"},
        _claims(1000, jti=""),
        _claims(1000, jti="j" * 201),
        _claims(1000, iat="1000"),
        _claims(1000, iat=True),
        _claims(1000, iat=float("nan")),  # JSON's NaN: no comparison refuses it
        _claims(1000, iat=float("inf")),
        {k: v for k, v in _claims(1000).items() if k != "htu"},
    ):
        with pytest.raises(InvalidProof):
            proofs.check(_signed(key, "ES256", claims), at(TOKEN_URL, 1000))


def test_a_nonce_when_required_is_the_servers_current_or_previous_one() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = 10_000
    required = at(TOKEN_URL, now, nonce_required=True)
    with pytest.raises(NonceRequired):
        proofs.check(_signed(key, "ES256", _claims(now)), required)
    nonce = proofs.nonce(now)
    proofs.check(_signed(key, "ES256", _claims(now, nonce=nonce)), required)
    later = now + 300
    assert proofs.nonces.valid(nonce, later) and not proofs.nonces.valid(nonce, later + 300)
    assert not Nonces(b"another key").valid(nonce, now)
    for forged in ("", "x", f"{now // 300}.AAAA", "9" * 30 + ".x", nonce + "x"):
        assert not proofs.nonces.valid(forged, now)


def test_a_spent_proof_is_kept_per_key_and_jti() -> None:
    assert Proof("a", "b:c").spent_key != Proof("a:b", "c").spent_key
    assert Proof("a", "b").spent_key == Proof("a", "b").spent_key
