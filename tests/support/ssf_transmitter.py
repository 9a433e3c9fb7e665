"""An SSF transmitter for the receiver's tests (docs/reference/ssf-receiver.md): its keys
(an RSA one and an EC one, made here), the SETs it signs over the claims a test chooses,
and, run in a thread of the test's process, its addresses: its configuration
(``/.well-known/ssf-configuration``, or Google's ``/.well-known/risc-configuration``), its
JWK Set, the IdP's discovery and token endpoint (a ``client_credentials`` grant of the
connection's client) and the streams' configuration endpoint, which records each
registration."""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from tests.support.local_servers import in_thread, send_json

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # not published
SESSION_REVOKED = "https://schemas.openid.net/secevent/caep/event-type/session-revoked"
CREDENTIAL_CHANGE = "https://schemas.openid.net/secevent/caep/event-type/credential-change"
ACCOUNT_DISABLED = "https://schemas.openid.net/secevent/risc/event-type/account-disabled"
SESSIONS_REVOKED = "https://schemas.openid.net/secevent/risc/event-type/sessions-revoked"
SSF_CONFIGURATION = "/.well-known/ssf-configuration"
RISC_CONFIGURATION = "/.well-known/risc-configuration"
DISCOVERY = "/.well-known/openid-configuration"
AUDIENCE = "https://firegate.example/ssf"  # what the transmitter says its SETs carry


def public_keys(*, rotated: bool = False) -> dict[str, Any]:
    """The transmitter's JWK Set: "r1" and "e1"; ``rotated`` adds "r2" (``OTHER_KEY``)."""
    rsa_jwk = json.loads(RSAAlgorithm.to_jwk(RSA_KEY.public_key()))
    ec_jwk = json.loads(ECAlgorithm.to_jwk(EC_KEY.public_key()))
    keys = [{**rsa_jwk, "kid": "r1", "alg": "RS256"}, {**ec_jwk, "kid": "e1", "alg": "ES256"}]
    if rotated:
        other = json.loads(RSAAlgorithm.to_jwk(OTHER_KEY.public_key()))
        keys.append({**other, "kid": "r2", "alg": "RS256"})
    return {"keys": keys}


def signed_set(claims: Mapping[str, Any], *, key: Any = RSA_KEY, kid: str = "r1") -> str:
    """A SET of ``claims`` signed with ``key`` (RS256, or ES256 for an EC key)."""
    algorithm = "ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "RS256"
    headers = {"kid": kid, "typ": "secevent+jwt"}
    return jwt.encode(dict(claims), key, algorithm=algorithm, headers=headers)


def set_claims(
    issuer: str, event: str, subject: Mapping[str, str], audience: str = AUDIENCE, **more: Any
) -> dict[str, Any]:
    """A SET's claims: a new ``jti``, one ``event`` about ``subject`` (RFC 9493)."""
    return {
        "iss": issuer,
        "aud": audience,
        "jti": secrets.token_hex(8),
        "iat": int(time.time()),
        "events": {event: {"subject": dict(subject)}},
        **more,
    }


def documents(base: str) -> dict[str, dict[str, Any]]:
    """What the transmitter at ``base`` serves by GET, by address."""
    return {
        base + SSF_CONFIGURATION: {
            "issuer": base,
            "jwks_uri": base + "/jwks",
            "configuration_endpoint": base + "/streams",
            "delivery_methods_supported": ["urn:ietf:rfc:8935"],
        },
        base + RISC_CONFIGURATION: {"issuer": base, "jwks_uri": base + "/jwks"},
        base + DISCOVERY: {"issuer": base, "token_endpoint": base + "/token"},
        base + "/jwks": public_keys(),
    }


@dataclass
class Transmitter:
    """The transmitter's state: its address, the connection's client it takes, the streams
    registered (the bodies as sent, with the access token that came with each)."""

    base: str = ""
    client_id: str = ""
    client_secret: str = ""
    registered: list[dict[str, Any]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def registration(self) -> dict[str, Any]:
        """The last registration's body."""
        with self.lock:
            return self.registered[-1]


def _handler(transmitter: Transmitter) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = documents(transmitter.base).get(transmitter.base + self.path)
            send_json(self, 200 if found else 404, found or {})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            sent = self.headers.get("Authorization", "")
            if self.path == "/token":
                pair = f"{transmitter.client_id}:{transmitter.client_secret}"
                expected = "Basic " + base64.b64encode(pair.encode()).decode()
                if sent != expected or b"grant_type=client_credentials" not in body:
                    send_json(self, 401, {"error": "invalid_client"})
                    return
                token = secrets.token_hex(8)
                with transmitter.lock:
                    transmitter.tokens.add(token)
                send_json(self, 200, {"access_token": token, "token_type": "Bearer"})
                return
            if self.path == "/streams":
                with transmitter.lock:
                    if sent.removeprefix("Bearer ") not in transmitter.tokens:
                        send_json(self, 401, {})
                        return
                    transmitter.registered.append(json.loads(body))
                send_json(self, 201, {"stream_id": "stream-1", "aud": AUDIENCE})
                return
            send_json(self, 404, {})

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextlib.contextmanager
def ssf_transmitter(client_id: str = "", client_secret: str = "") -> Iterator[Transmitter]:
    """The transmitter at http://127.0.0.1:<port>, taking the client given."""
    transmitter = Transmitter(client_id=client_id, client_secret=client_secret)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(transmitter))
    transmitter.base = f"http://127.0.0.1:{server.server_address[1]}"
    with in_thread(server):
        yield transmitter
