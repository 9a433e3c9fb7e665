"""firegate as an OpenID Connect provider: Authlib's authorization server as one more
driving adapter (docs/reference/oauth.md). The browser's part (authorize, consent, logout)
is served among the pages, with their cookies, CSRF checks and headers; the rest is JSON."""

from __future__ import annotations

from flask import Flask
from flask_cors import CORS

from interfaces.oauth import pages  # noqa: F401 - registers the browser's routes on the pages
from interfaces.oauth.routes import EXTENSION, JWKS_EXTENSION, bp
from interfaces.oauth.server.assembly import build_server
from interfaces.oauth.server.config import OAuthConfig

__all__ = ["PUBLIC_ENDPOINTS", "OAuthConfig", "install_oauth"]

# What an app in a browser (a SPA) calls from its own origin, with PKCE and without cookies:
# CORS from any origin, never with credentials (docs/security.md, "CORS"). Not the
# authorization endpoint, the consent page or logout: the browser goes there itself.
PUBLIC_ENDPOINTS: dict[str, list[str]] = {  # path pattern: its methods
    r"^/oauth/(token|revoke)$": ["POST"],
    r"^/oauth/userinfo$": ["GET", "POST"],
    r"^/\.well-known/(openid-configuration|oauth-authorization-server|jwks\.json)$": ["GET"],
}


def install_oauth(app: Flask, config: OAuthConfig) -> None:
    """Serve the provider on ``app`` (after the pages, whose blueprint carries its pages)."""
    app.extensions[EXTENSION] = build_server(app, config)
    app.extensions[JWKS_EXTENSION] = config.public_jwks
    app.register_blueprint(bp)
    CORS(
        app,
        resources={path: {"methods": methods} for path, methods in PUBLIC_ENDPOINTS.items()},
        origins="*",
        send_wildcard=True,  # "*": a browser sends no cookie or other credential with it
        supports_credentials=False,
        allow_headers=["Authorization", "Content-Type"],
        expose_headers=["Retry-After", "WWW-Authenticate", "RateLimit", "RateLimit-Policy"],
        max_age=600,
    )
