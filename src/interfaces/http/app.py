"""The JSON API on the app shell: its blueprints, Swagger UI, and what it hands the shell
(docs/reference/index.md's conventions)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

from flask import Blueprint, Flask, request
from werkzeug.exceptions import NotFound

from interfaces.http.compat import SHARED_LIMITS
from interfaces.http.converters import CONVERTERS
from interfaces.http.openapi import doc, install_docs
from interfaces.http.routes import health, jobs
from interfaces.http.schemas.common import JsonWebKeySet
from interfaces.shared.limits import Identify, Route
from interfaces.shared.shell import Cors, Installed, Jwk, KeySource, PathHeaders, jwks


@dataclass(frozen=True)
class HttpConfig:
    """What the JSON API takes from the settings; their defaults live in Settings only."""

    cors_origins: tuple[str, ...]
    # each limited route's limit ("10/minute,100/hour"; empty: none), from the units' records
    rate_limits: Mapping[Route, str]
    max_upload_bytes: int  # multipart uploads (datasets, files)
    compat_routes: bool  # the replaced systems' routes (docs/migrating.md)
    # The units' blueprints (bootstrap/units.py), the core's first; their replaced systems'
    # routes with ``compat_routes`` only.
    unit_blueprints: tuple[Blueprint, ...] = ()
    unit_compat_blueprints: tuple[Blueprint, ...] = ()
    # What the units lend the API's part of the shell (``API_LIMITED_BY``, ``API_PUBLIC_KEYS``):
    # the limited routes whose requests count against whom they authenticate, and the sources
    # of the keys that verify its access tokens.
    limited_by: tuple[tuple[Route, Identify], ...] = ()
    public_keys: tuple[KeySource, ...] = ()


# The shell's own blueprints (the probes, the jobs' push endpoint), registered before the
# units' (bootstrap/units.py).
BLUEPRINTS = (health.bp, jobs.bp)


# Swagger UI: its own scripts and styles, one inline bootstrap script, the spec from /.
_DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)

# The shell serves the JWKS; the API's document describes it.
doc(responses={200: JsonWebKeySet}, tags=("sessions",))(jwks)


def install(app: Flask, config: HttpConfig) -> Installed:
    app.config["MAX_UPLOAD_BYTES"] = config.max_upload_bytes  # see interfaces/http/uploads.py
    app.url_map.converters.update(CONVERTERS)
    for blueprint in (*BLUEPRINTS, *config.unit_blueprints):
        app.register_blueprint(blueprint)
    if config.compat_routes:
        for blueprint in config.unit_compat_blueprints:
            app.register_blueprint(blueprint)
    else:

        @app.before_request
        def _no_compat_sign_up() -> None:
            # A replaced API's POST /users shares its path with the native GET /users; off,
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
        limits=dict(config.rate_limits),
        limited_as=SHARED_LIMITS if config.compat_routes else {},
        limited_by=dict(config.limited_by),
        cors=cors if config.cors_origins else None,
        headers=(PathHeaders("/docs", (("Content-Security-Policy", _DOCS_CSP),)),),
        public_keys=partial(_public_keys, config.public_keys) if config.public_keys else None,
    )


def _public_keys(sources: Sequence[KeySource]) -> list[Jwk]:
    return [key for source in sources for key in source()]
