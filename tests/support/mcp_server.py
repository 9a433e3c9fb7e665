"""A small MCP server (the MCP Python SDK's own, streamable HTTP under uvicorn) that trusts
firegate's access tokens, and the SDK client's token storage in memory: what the MCP tests run
the SDK's client against."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.support.servers import free_port


class FiregateTokens:
    """The MCP server's ``TokenVerifier``: firegate's access tokens for this server only
    (RFC 9068: signature against the JWKS, ``iss`` firegate, ``aud`` this server)."""

    def __init__(self, issuer: str, resource: str) -> None:
        self.issuer, self.resource = issuer, resource
        jwks = requests.get(f"{issuer}/.well-known/jwks.json", timeout=10).json()
        self.keys = KeySet.import_key_set(jwks)

    async def verify_token(self, token: str) -> Any:
        from joserfc.errors import JoseError
        from mcp.server.auth.provider import AccessToken

        try:
            decoded = jwt.decode(token, self.keys)
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.resource},
                exp={"essential": True},
            ).validate(decoded.claims)
        except (JoseError, ValueError):
            return None
        if decoded.header.get("typ") != "at+jwt":
            return None
        claims = decoded.claims
        return AccessToken(
            token=token,
            client_id=str(claims["client_id"]),
            scopes=str(claims.get("scope", "")).split(),
            expires_at=int(claims["exp"]),
            resource=self.resource,
            subject=str(claims["sub"]),
        )


@contextmanager
def mcp_server(issuer: str, scopes: Sequence[str] = ("openid",)) -> Iterator[str]:
    """A small MCP server (streamable HTTP under uvicorn) with one tool, ``whoami``, for
    tokens with ``scopes`` (which its protected resource metadata lists, and the SDK's client
    asks for)."""
    import uvicorn
    from mcp.server.auth.settings import AuthSettings
    from mcp.server.mcpserver import MCPServer

    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    server = MCPServer(
        "firegate-test",
        token_verifier=FiregateTokens(issuer, url),
        auth=AuthSettings(
            issuer_url=issuer,
            resource_server_url=url,
            required_scopes=list(scopes),
            validate_token_resource=True,
        ),
    )

    @server.tool()
    def whoami() -> str:
        """The firegate account the token is about."""
        from mcp.server.auth.middleware.auth_context import get_access_token

        token = get_access_token()
        return token.subject or "" if token is not None else ""

    app = server.streamable_http_app()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    web = uvicorn.Server(config)
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not web.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield url
    finally:
        web.should_exit = True
        thread.join(timeout=10)


class MemoryTokens:
    def __init__(self) -> None:
        self.tokens: Any = None
        self.client: Any = None

    async def get_tokens(self) -> Any:
        return self.tokens

    async def set_tokens(self, tokens: Any) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> Any:
        return self.client

    async def set_client_info(self, client_info: Any) -> None:
        self.client = client_info
