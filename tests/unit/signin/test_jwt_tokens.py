"""Access-token verification refuses every forgery docs/reference/sessions.md rules out."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from domain.errors import Unauthenticated
from infrastructure.signin import jwt_tokens
from infrastructure.signin.jwt_tokens import PyJWTTokenIssuer, SigningKey

pytestmark = pytest.mark.unit
SECRET = b"s" * 32


def issuer(**kwargs: Any) -> PyJWTTokenIssuer:
    values: dict[str, Any] = {
        "signing": SigningKey("HS256", SECRET),
        "issuer": "firegate",
        "audience": "api",
        "ttl": timedelta(minutes=15),
    }
    values.update(kwargs)
    return PyJWTTokenIssuer(**values)


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": "firegate",
        "aud": "api",
        "sub": "u1",
        "user_id": "u1",
        "role": "user",
        "sid": "s1",
        "jti": "j1",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def sign(
    payload: dict[str, Any],
    key: Any = SECRET,
    alg: str = "HS256",
    headers: dict[str, Any] | None = None,
) -> str:
    return jwt.encode(payload, key, algorithm=alg, headers={"typ": "at+jwt", **(headers or {})})


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_round_trip() -> None:
    tokens = issuer()
    issued = tokens.issue_access(user_id="u1", role="user", session_id="s1", now=datetime.now(UTC))
    verified = tokens.verify_access(issued.token)
    assert (verified.user_id, verified.session_id, verified.role) == ("u1", "s1", "user")
    decoded = jwt.decode(issued.token, SECRET, algorithms=["HS256"], audience="api")
    assert set(decoded) == {
        "iss",
        "aud",
        "sub",
        "user_id",
        "role",
        "sid",
        "jti",
        "iat",
        "nbf",
        "exp",
    }
    assert decoded["exp"] - decoded["iat"] == 900
    assert jwt.get_unverified_header(issued.token)["typ"] == "at+jwt"


def test_amr_round_trip() -> None:
    tokens = issuer()
    now = datetime.now(UTC)
    issued = tokens.issue_access(
        user_id="u1", role="user", session_id="s1", now=now, amr=("pwd", "otp")
    )
    assert tokens.verify_access(issued.token).amr == ("pwd", "otp")
    assert jwt.decode(issued.token, SECRET, algorithms=["HS256"], audience="api")["amr"] == [
        "pwd",
        "otp",
    ]


@pytest.mark.parametrize("amr", ["pwd", [1], {"pwd": 1}, [None]])
def test_a_malformed_amr_is_refused(amr: object) -> None:
    with pytest.raises(Unauthenticated):
        issuer().verify_access(sign(claims(amr=amr)))


def test_valid_hand_signed_token_is_accepted() -> None:
    # Guards the forgery tests below: they fail for the reason they name, not another.
    assert issuer().verify_access(sign(claims())).user_id == "u1"


FORGERIES = {
    "alg none": b64({"alg": "none", "typ": "at+jwt"}) + "." + b64(claims()) + ".",
    "alg none no typ": b64({"alg": "none"}) + "." + b64(claims()) + ".",
    "stripped signature": sign(claims()).rsplit(".", 1)[0] + ".",
    "changed payload": ".".join(
        [sign(claims()).split(".")[0], b64(claims(role="admin")), sign(claims()).split(".")[2]]
    ),
    "wrong key": sign(claims(), key=b"w" * 32),
    "wrong audience": sign(claims(aud="other")),
    "wrong issuer": sign(claims(iss="evil")),
    "expired": sign(claims(exp=int(time.time()) - 60)),
    "not yet valid": sign(claims(nbf=int(time.time()) + 3600)),  # built at collection
    "missing sid": sign(claims(sid=None)),
    "missing exp": sign(claims(exp=None)),
    "missing user_id": sign(claims(user_id=None)),
    "sub differs from user_id": sign(claims(user_id="u2")),
    "wrong typ": jwt.encode(claims(), SECRET, algorithm="HS256", headers={"typ": "JWT"}),
    "unknown crit": sign(claims(), headers={"crit": ["exp-ext"], "exp-ext": 1}),
    "HS512": sign(claims(), key=b"s" * 64, alg="HS512"),
    "ES256 with attacker key": sign(
        claims(), key=ec.generate_private_key(ec.SECP256R1()), alg="ES256"
    ),
    "garbage": "not.a.token",
    "empty": "",
}


@pytest.mark.parametrize("token", FORGERIES.values(), ids=FORGERIES.keys())
def test_forged_tokens_are_refused(token: str) -> None:
    with pytest.raises(Unauthenticated):
        issuer().verify_access(token)


def test_leeway_is_capped() -> None:
    with pytest.raises(ValueError, match="leeway"):
        issuer(leeway=31)


def test_short_secret_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        issuer(signing=SigningKey("HS256", b"short"))


def test_expired_within_leeway_is_accepted() -> None:
    assert issuer(leeway=10).verify_access(sign(claims(exp=int(time.time()) - 5))).user_id


def pem(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    encoded: bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return encoded


@pytest.mark.parametrize(
    ("make_key", "alg"),
    [
        (lambda: ec.generate_private_key(ec.SECP256R1()), "ES256"),
        (
            lambda: __import__(
                "cryptography.hazmat.primitives.asymmetric.rsa", fromlist=["x"]
            ).generate_private_key(public_exponent=65537, key_size=2048),
            "RS256",
        ),
    ],
)
def test_asymmetric_keys_sign_with_kid_and_publish_jwks(make_key: Any, alg: str) -> None:
    from infrastructure.signin.jwt_tokens import signing_key_from_pem

    signing = signing_key_from_pem(pem(make_key()))
    assert signing.algorithm == alg
    tokens = issuer(signing=signing)
    issued = tokens.issue_access(user_id="u1", role="user", session_id="s1", now=datetime.now(UTC))
    header = jwt.get_unverified_header(issued.token)
    assert header["alg"] == alg and header["kid"] == signing.kid
    assert tokens.verify_access(issued.token).user_id == "u1"
    keys = tokens.jwks()["keys"]
    assert [k["kid"] for k in keys] == [signing.kid]
    assert keys[0]["alg"] == alg and "d" not in keys[0]  # never the private part
    # Anyone can verify with the published key.
    public = jwt.PyJWK(keys[0])
    assert jwt.decode(issued.token, public, algorithms=[alg], audience="api")["sub"] == "u1"


def test_key_rotation_keeps_old_tokens_valid_with_previous_key() -> None:
    from infrastructure.signin.jwt_tokens import signing_key_from_pem

    old_key, new_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(2))
    old = issuer(signing=signing_key_from_pem(pem(old_key)))
    old_token = old.issue_access(
        user_id="u1", role="user", session_id="s1", now=datetime.now(UTC)
    ).token
    rotated = issuer(
        signing=signing_key_from_pem(pem(new_key)), previous_public_key=old_key.public_key()
    )
    assert rotated.verify_access(old_token).user_id == "u1"
    assert len(rotated.jwks()["keys"]) == 2
    without_previous = issuer(signing=signing_key_from_pem(pem(new_key)))
    with pytest.raises(Unauthenticated):
        without_previous.verify_access(old_token)


def test_hs256_token_refused_by_an_es256_service() -> None:
    """Key confusion: an HS256 token signed with the public key bytes must fail."""
    from infrastructure.signin.jwt_tokens import signing_key_from_pem

    key = ec.generate_private_key(ec.SECP256R1())
    signing = signing_key_from_pem(pem(key))
    tokens = issuer(signing=signing)
    from cryptography.hazmat.primitives import serialization

    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    forged = jwt.encode(
        claims(),
        public_pem.decode()[:64] * 2,
        algorithm="HS256",
        headers={"typ": "at+jwt", "kid": signing.kid},
    )
    with pytest.raises(Unauthenticated):
        tokens.verify_access(forged)


def test_hs256_publishes_no_keys() -> None:
    assert issuer().jwks() == {"keys": []}


def at(monkeypatch: pytest.MonkeyPatch, moment: float) -> None:
    """Both clocks that judge a token (the remembered tokens' and PyJWT's) read ``moment``."""

    class Then(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Then:
            return cls.fromtimestamp(moment, tz)

    monkeypatch.setattr(jwt_tokens, "time", SimpleNamespace(time=lambda: moment))
    monkeypatch.setattr(jwt.api_jwt, "datetime", Then)


def test_a_verified_token_stays_valid_only_until_it_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = issuer(leeway=10)
    now = int(time.time())
    token = sign(claims(exp=now + 60))
    first = service.verify_access(token)
    assert service.verify_access(token) == first  # the second time from what was verified
    at(monkeypatch, now + 69.0)  # inside the leeway: still valid
    assert service.verify_access(token) == first
    at(monkeypatch, now + 71.0)  # past it: verified again, and refused
    with pytest.raises(Unauthenticated) as refused:
        service.verify_access(token)
    assert refused.value.code == "token_expired"


def test_only_the_exact_verified_text_is_remembered() -> None:
    service = issuer()
    token = sign(claims())
    service.verify_access(token)
    head, _payload, signature = token.split(".")
    forged_payload = b64(claims(role="admin"))
    for forged in (f"{head}.{forged_payload}.{signature}", token + "x", token[:-1]):
        with pytest.raises(Unauthenticated):
            service.verify_access(forged)
    assert service.verify_access(token).role == "user"


def test_the_verified_tokens_kept_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jwt_tokens, "VERIFIED_CACHE_SIZE", 8)
    service = issuer()
    tokens = [sign(claims(jti=f"j{n}")) for n in range(20)]
    for token in tokens:
        service.verify_access(token)
    assert len(service._verified) <= 8
    assert all(service.verify_access(token).jti == f"j{n}" for n, token in enumerate(tokens))


def _variants(token: str) -> list[str]:
    """The same token with one segment spelled in a way base64url decoders often accept."""
    header, payload, signature = token.split(".")
    last = signature[-1]
    # The signature of HS256 is 32 bytes: 43 characters whose last carries 2 unused bits.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    sloppy = alphabet[alphabet.index(last) | 1] if alphabet.index(last) % 4 == 0 else last
    return [
        f"{token}=",  # padding after the signature
        f"{header}.{payload}.{signature}==",
        f"{header}==.{payload}.{signature}"
        if len(header) % 4 == 2
        else f"{header}=.{payload}.{signature}",
        f"{header}.{payload}=.{signature}"
        if len(payload) % 4 == 3
        else f"{header}.{payload}==.{signature}",
        f"{header}.{payload}.{signature[:-1]}{sloppy}",  # non-zero unused trailing bits
        f"{header}.{payload}.{signature[:20]}+{signature[21:]}",  # outside the alphabet
        f"{header}.{payload}.{signature[:20]} {signature[20:]}",
    ]


def test_a_token_with_a_non_canonical_segment_is_refused() -> None:
    verifier = issuer()
    token = sign(claims())
    assert verifier.verify_access(token).user_id == "u1"
    for variant in _variants(token):
        assert variant != token
        with pytest.raises(Unauthenticated):
            verifier.verify_access(variant)
