"""The JSON API on the app shell: its blueprints, Swagger UI, and what it hands the shell
(docs/reference/index.md's conventions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask, request
from werkzeug.exceptions import NotFound

from interfaces.http.compat import SHARED_LIMITS
from interfaces.http.converters import CONVERTERS
from interfaces.http.limits import LIMITED_BY, ApiLimits
from interfaces.http.openapi import doc, install_docs
from interfaces.http.route_table import COMPAT_ROUTES, ROUTES
from interfaces.http.schemas.common import JsonWebKeySet
from interfaces.shared.lazy_views import (
    TableRow,
    blueprints_app,
    register_lazily,
    table_rows,
)
from interfaces.shared.services import services
from interfaces.shared.shell import Cors, Installed, PathHeaders, jwks


@dataclass(frozen=True)
class HttpConfig:
    """What the JSON API takes from the settings; their defaults live in Settings only."""

    cors_origins: tuple[str, ...]
    rate_limits: ApiLimits
    max_upload_bytes: int  # multipart uploads (datasets, files)
    compat_routes: bool  # the replaced systems' routes (docs/migrating.md)


# The route modules, in the order their blueprints are registered: route_table.py lists the
# rules each makes (scripts/route_table.py writes it from them).
ROUTE_MODULES = (
    "interfaces.http.routes.health",
    "interfaces.http.routes.accounts.accounts",
    "interfaces.http.routes.mail.email",
    "interfaces.http.routes.federation.firebase",
    "interfaces.http.routes.federation.connected_accounts",
    "interfaces.http.routes.federation.upstream",
    "interfaces.http.routes.signin.sessions",
    "interfaces.http.routes.orgs.active",
    "interfaces.http.routes.signin.personal_tokens",
    "interfaces.http.routes.signin.passkeys",
    "interfaces.http.routes.signin.mfa",
    "interfaces.http.routes.accounts.users",
    "interfaces.http.routes.events.events",
    "interfaces.http.routes.resources.datasets",
    "interfaces.http.routes.resources.files",
    "interfaces.http.routes.resources.tasks",
    "interfaces.http.routes.resources.dogs",
    "interfaces.http.routes.jobs",
    "interfaces.http.routes.events.webhooks",
    "interfaces.http.routes.orgs.orgs",
    "interfaces.http.routes.orgs.domains",
    "interfaces.http.routes.orgs.clients",
    "interfaces.http.routes.orgs.invitations",
    "interfaces.http.routes.sso.connections",
    "interfaces.http.routes.sso.discovery",
    "interfaces.http.routes.sso.setup_links",
    "interfaces.http.routes.scim.tokens",
)
# The replaced systems' routes (docs/migrating.md), with ``compat_routes`` only.
COMPAT_MODULES = (
    "interfaces.http.routes.resources.tasks_api",
    "interfaces.http.routes.resources.dogs_api",
    "interfaces.http.routes.signin.login_api",
)


def route_tables() -> dict[str, list[TableRow]]:
    """What route_table.py holds, from the route modules (imported for it): the API's rules,
    and the compatibility routes' (scripts/route_table.py writes it)."""
    return {
        "ROUTES": table_rows(blueprints_app(ROUTE_MODULES, CONVERTERS), ROUTE_MODULES),
        "COMPAT_ROUTES": table_rows(blueprints_app(COMPAT_MODULES, CONVERTERS), COMPAT_MODULES),
    }


# Swagger UI: its own scripts and styles, one inline bootstrap script, the spec from /.
_DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)

# The shell serves the JWKS; the API's document describes it.
doc(responses={200: JsonWebKeySet}, tags=("sessions",))(jwks)


def _public_keys() -> Sequence[dict[str, Any]]:
    """The keys that verify the API's access tokens (none with a shared HS256 secret)."""
    own = services().authentication.jwks()["keys"]
    return list(own) if isinstance(own, list) else []


def install(app: Flask, config: HttpConfig) -> Installed:
    app.config["MAX_UPLOAD_BYTES"] = config.max_upload_bytes  # see interfaces/http/uploads.py
    # The route modules are imported by their first request; their rules are all here from
    # the start (docs/decisions/0440-route-modules-on-first-use.md).
    app.url_map.converters.update(CONVERTERS)
    register_lazily(app, ROUTES)
    if config.compat_routes:
        register_lazily(app, COMPAT_ROUTES)
    else:

        @app.before_request
        def _no_tasks_api_sign_up() -> None:
            # The tasks API's POST /users shares its path with the native GET /users; off,
            # it is absent like every compatibility route (404), not a method of /users
            # that is not allowed (405).
            if request.method == "POST" and request.path == "/users":
                raise NotFound()

    install_docs(app)
    cors = Cors(
        origins=config.cors_origins,
        allow_headers=("Authorization", "Content-Type", "Device-Token", "X-Request-ID"),
        expose_headers=(
            "X-Request-ID",
            "Location",
            "Retry-After",
            "WWW-Authenticate",
            "RateLimit",
            "RateLimit-Policy",
        ),
    )
    return Installed(
        name="api",
        limits=config.rate_limits.by_route(),
        limited_as=SHARED_LIMITS if config.compat_routes else {},
        limited_by=LIMITED_BY,
        cors=cors if config.cors_origins else None,
        headers=(PathHeaders("/docs", (("Content-Security-Policy", _DOCS_CSP),)),),
        public_keys=_public_keys,
    )
