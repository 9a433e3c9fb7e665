"""DPoP's rules (RFC 9449) that need no cryptography: a proof's claims checked against the
request it came with, the key's thumbprint (RFC 7638), the ``ath`` of an access token, the
server's nonces, and the key a spent proof is kept under (docs/reference/oauth.md, "DPoP").
The signature is checked in infrastructure/provider/dpop.py, which calls ``check_claims``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from domain.clients.client_keys import PRIVATE_MEMBERS
from domain.errors import DomainError

# How far a proof's ``iat`` may be from the server's clock (RFC 9449 §11.1): a proof is
# spent once within it and refused outside it, so its ``jti`` is kept at least that long.
IAT_WINDOW = 60
MAX_JTI_CHARS = 200
NONCE_PERIOD = 300  # a nonce holds for its window of this many seconds and the next one

# The members RFC 7638 §3.2 hashes, per key type; a private member never belongs in a proof.
_THUMBPRINT_MEMBERS = {
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "OKP": ("crv", "kty", "x"),
}
_DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidProof(DomainError):
    """RFC 9449 §5, §7.1: the DPoP proof is missing, malformed, or not for this request."""

    code = "invalid_dpop_proof"
    title = "Invalid DPoP proof"


class NonceRequired(DomainError):
    """RFC 9449 §8, §9: the server asks for a proof carrying its nonce (``DPoP-Nonce``)."""

    code = "use_dpop_nonce"
    title = "DPoP nonce required"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638: the base64url SHA-256 of the key's required public members, in
    lexicographic order, as JSON without whitespace."""
    members = _THUMBPRINT_MEMBERS.get(str(jwk.get("kty")))
    if members is None or not all(isinstance(jwk.get(name), str) for name in members):
        raise InvalidProof("The proof's jwk is not an EC, RSA or OKP public key.")
    canonical = json.dumps(
        {name: jwk[name] for name in members}, separators=(",", ":"), sort_keys=True
    )
    return b64url(hashlib.sha256(canonical.encode()).digest())


def bound_key(claims: Mapping[str, Any]) -> str | None:
    """The key a DPoP-bound access token is bound to (RFC 9449 §6.1, ``cnf.jkt``), or None
    for a token that is not bound."""
    cnf = claims.get("cnf")
    jkt = cnf.get("jkt") if isinstance(cnf, dict) else None
    return jkt if isinstance(jkt, str) else None


def access_token_hash(access_token: str) -> str:
    """RFC 9449 §4.2 ``ath``: the base64url SHA-256 of the access token's ASCII."""
    return b64url(hashlib.sha256(access_token.encode("ascii", "replace")).digest())


def normalized_url(url: str) -> str | None:
    """RFC 9449 §4.3: ``htu`` is compared without query and fragment, after RFC 3986 §6.2.2
    and §6.2.3 normalisation (scheme and host in lower case, the scheme's default port
    dropped, an empty path as ``/``); None for what is not an absolute http(s) URI."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    return urlunsplit((scheme, host, _percent_upper(parts.path) or "/", "", ""))


def _percent_upper(path: str) -> str:
    """RFC 3986 §6.2.2.1: percent-encodings compare in upper case."""
    pieces = path.split("%")
    return pieces[0] + "".join(
        piece[:2].upper() + piece[2:] if len(piece) >= 2 else piece for piece in pieces[1:]
    )


@dataclass(frozen=True)
class Proof:
    """A proof that passed: its key's thumbprint and its ``jti``, to be spent once."""

    jkt: str
    jti: str

    @property
    def spent_key(self) -> str:
        """The id a spent proof is kept under: one per key and ``jti`` (RFC 9449 §11.1)."""
        return hashlib.sha256(json.dumps([self.jkt, self.jti]).encode()).hexdigest()

    def spent(self, now: datetime) -> SpentProof:
        """The proof as kept once used: until no proof with its ``jti`` could pass the
        ``iat`` window any more (made at most ``IAT_WINDOW`` ahead of now, valid as long
        again)."""
        return SpentProof(self.spent_key, now + timedelta(seconds=2 * IAT_WINDOW))


@dataclass(frozen=True)
class SpentProof:
    """A used proof's key, kept until ``expires_at`` in a store every instance shares: a
    second use is a replay (RFC 9449 §11.1)."""

    key: str
    expires_at: datetime


@dataclass(frozen=True)
class ProofRequest:
    """What a proof is checked against: the request it came with."""

    method: str
    url: str  # the request's URL as the server sees it (query and fragment are ignored)
    now: int
    access_token: str | None = None  # at a resource: the token it must hash to (``ath``)
    nonce_required: bool = False


def check_claims(
    header: Mapping[str, Any], claims: Mapping[str, Any], request: ProofRequest, nonces: Nonces
) -> Proof:
    """RFC 9449 §4.3's checks of a proof whose signature holds by its own ``jwk``: the claims
    are for this request and time, the key is public; a nonce when one is required."""
    jwk = header.get("jwk")
    if not isinstance(jwk, Mapping) or PRIVATE_MEMBERS & set(jwk):
        raise InvalidProof("The proof's jwk must be a public key.")
    jti, htm, htu, iat = (claims.get(name) for name in ("jti", "htm", "htu", "iat"))
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_CHARS:
        raise InvalidProof("The proof has no jti.")
    if htm != request.method:
        raise InvalidProof("The proof is for another HTTP method (htm).")
    if not isinstance(htu, str) or normalized_url(htu) != normalized_url(request.url):
        raise InvalidProof("The proof is for another URL (htu).")
    if isinstance(iat, bool) or not isinstance(iat, int | float) or not math.isfinite(iat):
        raise InvalidProof("The proof has no iat.")  # NaN would pass any window: never
    if abs(request.now - iat) > IAT_WINDOW:
        raise InvalidProof("The proof was not made just now (iat).")
    if request.access_token is not None:
        ath = claims.get("ath")
        expected = access_token_hash(request.access_token)
        if not isinstance(ath, str) or not hmac.compare_digest(ath, expected):
            raise InvalidProof("The proof is not for this access token (ath).")
    if request.nonce_required:
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not nonces.valid(nonce, request.now):
            raise NonceRequired("The proof must carry the server's nonce (DPoP-Nonce).")
    return Proof(thumbprint(jwk), jti)


class Nonces:
    """RFC 9449 §8's server nonces, kept nowhere: a nonce is its time window's number and an
    HMAC of it under a key every instance shares, valid in its window and the next, so it
    rotates every ``period`` seconds and holds between ``period`` and twice that."""

    def __init__(self, key: bytes, period: int = NONCE_PERIOD) -> None:
        self._key, self._period = key, period

    def _mac(self, window: int) -> str:
        return b64url(hmac.new(self._key, str(window).encode(), hashlib.sha256).digest()[:16])

    def current(self, now: int) -> str:
        window = now // self._period
        return f"{window}.{self._mac(window)}"

    def valid(self, nonce: str, now: int) -> bool:
        window_text, _, mac = nonce.partition(".")
        if not window_text.isdigit() or len(window_text) > 20:
            return False
        window = int(window_text)
        if window not in (now // self._period, now // self._period - 1):
            return False
        return hmac.compare_digest(mac, self._mac(window))
