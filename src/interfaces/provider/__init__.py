"""firegate as an OpenID Connect provider: Authlib's authorization server as one more
driving adapter (docs/reference/oauth.md). The browser's part (authorize, consent, logout)
is served as the pages are, with their cookies, CSRF checks and headers; the rest is JSON."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask

from interfaces.provider import device_page, pages, routes
from interfaces.provider.limits import LIMITED_BY
from interfaces.shared.shell import Cors, Installed
from interfaces.web import serve_as_pages

if TYPE_CHECKING:
    from application.provider.ports import ProviderTokens
    from interfaces.provider.server.models.config import OAuthConfig

__all__ = ["PUBLIC_ENDPOINTS", "ProviderConfig", "ProviderLimits", "install"]

# The browser's part, served as the pages are.
for _blueprint in (pages.bp, device_page.bp):
    serve_as_pages(_blueprint)


# What an app in a browser (a SPA) calls from its own origin, with PKCE and without cookies:
# CORS from any origin, never with credentials (docs/security.md, "CORS"). Not the
# authorization endpoint, the consent page or logout: the browser goes there itself.
PUBLIC_ENDPOINTS: dict[str, tuple[str, ...]] = {  # path pattern: its methods
    r"^/oauth/(token|revoke|par)$": ("POST",),
    r"^/oauth/userinfo$": ("GET", "POST"),
    r"^/\.well-known/(openid-configuration|oauth-authorization-server|jwks\.json)$": ("GET",),
}


@dataclass(frozen=True)
class ProviderLimits:
    """Per-address limits of the provider's JSON endpoints (``RATE_LIMIT_OAUTH_*``)."""

    token: str
    introspect: str
    register: str


@dataclass(frozen=True)
class ProviderConfig:
    # Authlib's server is built with its configuration on the provider's first request, and
    # Authlib imported then (docs/benchmarks.md, "Cold start"): this makes that configuration.
    server: Callable[[], OAuthConfig]
    keys: ProviderTokens  # the server's: their public keys are listed in the JWKS
    limits: ProviderLimits


def install(app: Flask, config: ProviderConfig) -> Installed:
    """Serve the provider on ``app``; what it hands the app shell: its limits, its CORS (all
    of /oauth/ is its own) and its public keys."""
    app.extensions[routes.EXTENSION] = routes.ProviderServer(app, config.server)
    app.register_blueprint(routes.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(device_page.bp)
    keys = config.keys
    return Installed(
        name="provider",
        limits={
            ("POST", "/oauth/token"): config.limits.token,
            ("POST", "/oauth/par"): config.limits.token,
            ("POST", "/oauth/device_authorization"): config.limits.token,
            ("POST", "/oauth/introspect"): config.limits.introspect,
            ("POST", "/oauth/register"): config.limits.register,
        },
        limited_by=LIMITED_BY,
        cors=Cors(
            origins=("*",),
            allow_headers=("Authorization", "Content-Type"),
            expose_headers=("Retry-After", "WWW-Authenticate", "RateLimit", "RateLimit-Policy"),
            paths=PUBLIC_ENDPOINTS,
            keeps=("/oauth/",),
        ),
        public_keys=keys.public_jwks,
    )
