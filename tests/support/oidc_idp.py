"""An org's OpenID identity provider for the unit tests, run in a thread of the test's process:
discovery, keys, the token endpoint (client secret and PKCE checked) and userinfo, its ID
tokens signed here with PyJWT over the claims a test chooses, so that each of the ID token's
checks can be failed on purpose. The browser's part at the IdP is ``authorize``: what its
login would answer to firegate's authorization request (docs/reference/sso.md, "Signing in").
Any of its addresses may answer with a redirect, or trickle its answer in a byte at a time,
as a hostile IdP would (``redirected``, ``slow``). The end-to-end tests use panva's
oidc-provider instead (tests/support/oidc_provider.py)."""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from jwt.algorithms import RSAAlgorithm

from tests.support.local_servers import in_thread, send_json

CLIENT_ID = "firegate-corp"
CLIENT_SECRET = "corp-secret"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
DISCOVERY = "/.well-known/openid-configuration"
MOVED = "/moved"  # where a redirected address sends: the address itself, under this prefix
TRICKLE = 0.02  # seconds between two bytes of a slow answer


def public_keys() -> dict[str, Any]:
    """The IdP's JWK Set: the public half of ``KEY``."""
    public = json.loads(RSAAlgorithm.to_jwk(KEY.public_key()))
    return {"keys": [{**public, "kid": "k1", "alg": "RS256", "use": "sig"}]}


def signed_id_token(claims: Mapping[str, Any]) -> str:
    """An ID token of ``claims``, signed with ``KEY`` as the IdP signs its own."""
    return jwt.encode(dict(claims), KEY, algorithm="RS256", headers={"kid": "k1"})


@dataclass
class Grant:
    """What the IdP's login answered: the request's values, and the claims of its tokens."""

    request: dict[str, str]
    id_token: dict[str, Any]
    userinfo: dict[str, Any]


@dataclass
class OidcIdpForTests:
    issuer: str = ""
    scopes_supported: list[str] = field(
        default_factory=lambda: ["openid", "email", "profile", "groups"]
    )
    grants: dict[str, Grant] = field(default_factory=dict)  # by code, until exchanged
    issued: dict[str, Grant] = field(default_factory=dict)  # by code, once exchanged
    # Paths answered with a 307 to the same path under MOVED, which answers as the path does
    redirected: set[str] = field(default_factory=set)
    followed: list[str] = field(default_factory=list)  # each path asked under MOVED
    slow: set[str] = field(default_factory=set)  # paths whose answer comes a byte at a time
    # What its discovery document says besides (an IdP's own, or a hostile one's, keys)
    discovery_extra: dict[str, Any] = field(default_factory=dict)

    def authorize(
        self,
        location: str,
        claims: Mapping[str, Any],
        *,
        userinfo: Mapping[str, Any] | None = None,
        changes: Mapping[str, Any] | None = None,
    ) -> str:
        """The IdP's answer to the authorization request at ``location``: the callback URL
        with a new code and the request's state. The ID token carries ``claims`` (``sub``
        among them) with its ``iss``, ``aud``, times and the request's ``nonce``, each of
        which ``changes`` may change; userinfo answers ``userinfo`` (default: the
        same claims)."""
        request = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        now = int(time.time())
        token = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": request.get("nonce", ""),
            **claims,
            **(changes or {}),
        }
        code = secrets.token_urlsafe(16)
        self.grants[code] = Grant(request, token, dict(userinfo if userinfo else claims))
        return request["redirect_uri"] + "?" + urlencode({"code": code, "state": request["state"]})

    def error(self, location: str, error: str = "access_denied") -> str:
        """The IdP's refusal, as it sends the browser back."""
        request = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        return (
            request["redirect_uri"] + "?" + urlencode({"error": error, "state": request["state"]})
        )


def _handler(idp: OidcIdpForTests) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: object) -> None:
            if self.path in idp.slow:
                trickle(self, status, body)
            else:
                send_json(self, status, body)

        def _redirected(self) -> bool:
            """Whether this request was answered with a redirect; a request that followed one
            is noted, and answered as the path it was sent to."""
            if self.path.startswith(MOVED + "/"):
                self.path = self.path.removeprefix(MOVED)
                idp.followed.append(self.path)
                return False
            if self.path not in idp.redirected:
                return False
            self.send_response(307)
            self.send_header("Location", MOVED + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return True

        def do_GET(self) -> None:
            if self._redirected():
                return
            if self.path == DISCOVERY:
                self._send(
                    200,
                    {
                        "issuer": idp.issuer,
                        "authorization_endpoint": idp.issuer + "/authorize",
                        "token_endpoint": idp.issuer + "/token",
                        "userinfo_endpoint": idp.issuer + "/userinfo",
                        "jwks_uri": idp.issuer + "/jwks",
                        "scopes_supported": idp.scopes_supported,
                        "response_types_supported": ["code"],
                        "id_token_signing_alg_values_supported": ["RS256"],
                        **idp.discovery_extra,
                    },
                )
            elif self.path == "/jwks":
                self._send(200, public_keys())
            elif self.path == "/userinfo":
                code = self.headers.get("Authorization", "").removeprefix("Bearer at-")
                grant = idp.issued.get(code)
                self._send(200, grant.userinfo) if grant else self._send(401, {})
            else:
                self._send(404, {})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if self._redirected():
                return
            basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            grant = idp.grants.pop(form.get("code", ""), None)
            if (
                self.path != "/token"
                or self.headers.get("Authorization") != "Basic " + basic
                or grant is None
                or form.get("redirect_uri") != grant.request["redirect_uri"]
                or create_s256_code_challenge(form.get("code_verifier", ""))
                != grant.request.get("code_challenge")
            ):
                self._send(400, {"error": "invalid_grant"})
                return
            idp.issued[form["code"]] = grant  # its access token reads userinfo
            signed = signed_id_token(grant.id_token)
            self._send(
                200,
                {
                    "access_token": "at-" + form["code"],
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": signed,
                },
            )

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def trickle(handler: BaseHTTPRequestHandler, status: int, body: object) -> None:
    """``body`` as JSON, its headers at once and then a byte every ``TRICKLE`` seconds, each
    well within any read timeout, until all is sent or the reader has gone."""
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    try:
        for byte in data:
            handler.wfile.write(bytes([byte]))
            time.sleep(TRICKLE)
    except OSError:  # the reader gave up
        handler.close_connection = True


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # thirty sign-ins at once exchange their codes at once


@contextlib.contextmanager
def oidc_idp() -> Iterator[OidcIdpForTests]:
    idp = OidcIdpForTests()
    server = _Server(("127.0.0.1", 0), _handler(idp))
    idp.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    with in_thread(server):
        yield idp


def upstream_round_trip(app: Flask, idp: OidcIdpForTests, email: str, subject: str) -> Any:
    """A new browser's sign-in through the upstream provider ``corp`` (this ``idp``) as this
    person, who has verified ``email``: the answer of the service's callback."""
    browser = app.test_client()
    started = browser.get("/sign-in/with/corp")
    assert started.status_code == 303, started.get_data(as_text=True)
    person = {"sub": subject, "email": email, "email_verified": True}
    back = urlsplit(idp.authorize(started.headers["Location"], person))
    return browser.get(f"{back.path}?{back.query}")
