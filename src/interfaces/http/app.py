"""The Flask application factory: conventions of SPEC §2 wired around the area blueprints."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, Response, request
from flask_cors import CORS
from werkzeug.middleware.proxy_fix import ProxyFix

from interfaces.http.errors import register_error_handlers
from interfaces.http.limits import DEFAULT_RATE_LIMITS, RateLimits, install_rate_limits
from interfaces.http.logs import install_request_context
from interfaces.http.openapi import install_docs
from interfaces.http.routes import (
    accounts,
    datasets,
    dogs,
    files,
    firebase,
    health,
    jobs,
    jwks,
    sessions,
    tasks,
    users,
)
from interfaces.http.services import Services


@dataclass(frozen=True)
class HttpConfig:
    project: str = "demo-firegate"
    max_json_bytes: int = 1024 * 1024
    cors_origins: tuple[str, ...] = ()
    trusted_proxy_hops: int = 0
    production: bool = False
    rate_limits: RateLimits = DEFAULT_RATE_LIMITS
    max_upload_bytes: int = 32 * 1024 * 1024  # multipart uploads (datasets, files)


_API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI: its own scripts and styles, one inline bootstrap script, the spec from /.
_DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)


def create_app(services: Services, config: HttpConfig | None = None) -> Flask:
    config = config or HttpConfig()
    app = Flask("firegate")
    app.config.update(MAX_CONTENT_LENGTH=config.max_json_bytes, JSON_SORT_KEYS=False)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.config["MAX_UPLOAD_BYTES"] = config.max_upload_bytes  # see interfaces/http/uploads.py
    app.extensions["firegate"] = services
    if config.trusted_proxy_hops:
        # The client IP is the one the trusted proxies saw, never a header a client forged.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=config.trusted_proxy_hops, x_proto=config.trusted_proxy_hops
        )
    if config.cors_origins:
        CORS(
            app,
            origins=list(config.cors_origins),
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Location", "Retry-After", "WWW-Authenticate"],
            max_age=600,
        )

    register_error_handlers(app)
    install_request_context(app, config.project)
    install_rate_limits(app, config.rate_limits)
    for blueprint in (
        health.bp,
        jwks.bp,
        accounts.bp,
        firebase.bp,
        sessions.bp,
        users.bp,
        datasets.bp,
        files.bp,
        tasks.bp,
        dogs.bp,
        jobs.bp,
    ):
        app.register_blueprint(blueprint)
    install_docs(app)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        docs = request.path == "/docs" or request.path.startswith("/docs/")
        headers.setdefault("Content-Security-Policy", _DOCS_CSP if docs else _API_CSP)
        if not docs:
            headers.setdefault("Cache-Control", "no-store")
        if config.production:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    return app
