"""firegate as an OpenID Connect provider: Authlib's authorization server as one more
driving adapter (docs/reference/oauth.md). The browser's part (authorize, consent, logout)
is served among the pages, with their cookies, CSRF checks and headers; the rest is JSON."""

from __future__ import annotations

from flask import Flask

from interfaces.oauth import pages  # noqa: F401 - registers the browser's routes on the pages
from interfaces.oauth.routes import EXTENSION, JWKS_EXTENSION, bp
from interfaces.oauth.server import OAuthConfig, build_server

__all__ = ["OAuthConfig", "install_oauth"]


def install_oauth(app: Flask, config: OAuthConfig) -> None:
    """Serve the provider on ``app`` (after the pages, whose blueprint carries its pages)."""
    app.extensions[EXTENSION] = build_server(app, config)
    app.extensions[JWKS_EXTENSION] = config.public_jwks
    app.register_blueprint(bp)
