"""The Flask application factory: docs/reference/index.md's conventions around the blueprints."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask import Flask, Response, request
from flask_cors import CORS
from werkzeug.exceptions import NotFound
from werkzeug.middleware.proxy_fix import ProxyFix

from application.services import Services
from interfaces.http.compat import SHARED_LIMITS
from interfaces.http.errors import register_error_handlers
from interfaces.http.limits import RateLimits, install_rate_limits
from interfaces.http.logs import install_request_context
from interfaces.http.openapi import install_docs
from interfaces.http.routes import (
    accounts,
    datasets,
    dogs,
    dogs_api,
    email,
    events,
    files,
    firebase,
    health,
    jobs,
    jwks,
    login_api,
    mfa,
    passkeys,
    sessions,
    tasks,
    tasks_api,
    users,
    webhooks,
)
from interfaces.shared.limits import LimitedAs
from interfaces.shared.services import LazyServices


@dataclass(frozen=True)
class HttpConfig:
    """What the web layer takes from the settings; their defaults live in Settings only."""

    project: str
    max_json_bytes: int
    cors_origins: tuple[str, ...]
    trusted_proxy_hops: int
    production: bool
    rate_limits: RateLimits
    max_upload_bytes: int  # multipart uploads (datasets, files)
    compat_routes: bool  # the replaced systems' routes (docs/migrating.md)
    # Routes of another adapter (the pages) that count against an API route's limit.
    limit_aliases: Mapping[tuple[str, str], LimitedAs] = field(default_factory=dict)


_API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI: its own scripts and styles, one inline bootstrap script, the spec from /.
_DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)


def create_app(services: Services | LazyServices, config: HttpConfig) -> Flask:
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
            # Not /oauth/...: the provider's CORS is its own (docs/security.md, "CORS for
            # apps in a browser"), and its authorization endpoint and consent page have none.
            resources=r"^/(?!oauth/).*",
            origins=list(config.cors_origins),
            allow_headers=["Authorization", "Content-Type", "Device-Token", "X-Request-ID"],
            expose_headers=[
                "X-Request-ID",
                "Location",
                "Retry-After",
                "WWW-Authenticate",
                "RateLimit",
                "RateLimit-Policy",
            ],
            max_age=600,
        )

    register_error_handlers(app)
    install_request_context(app, config.project)
    shared_limits = {**(SHARED_LIMITS if config.compat_routes else {}), **config.limit_aliases}
    install_rate_limits(app, config.rate_limits, services.request_counter, shared_limits)
    for blueprint in (
        health.bp,
        jwks.bp,
        accounts.bp,
        email.bp,
        firebase.bp,
        sessions.bp,
        passkeys.bp,
        mfa.bp,
        users.bp,
        events.bp,
        datasets.bp,
        files.bp,
        tasks.bp,
        dogs.bp,
        jobs.bp,
        webhooks.bp,
    ):
        app.register_blueprint(blueprint)
    if config.compat_routes:
        for blueprint in (tasks_api.bp, dogs_api.bp, login_api.bp):
            app.register_blueprint(blueprint)
    else:

        @app.before_request
        def _no_tasks_api_sign_up() -> None:
            # The tasks API's POST /users shares its path with the native GET /users; off,
            # it is absent like every compatibility route (404), not a method of /users
            # that is not allowed (405).
            if request.method == "POST" and request.path == "/users":
                raise NotFound()

    install_docs(app)

    always = [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if config.production:
        # Two years, as hstspreload.org asks; locally (plain http) it would pin localhost.
        always.append(("Strict-Transport-Security", "max-age=63072000; includeSubDomains"))
    api = [*always, ("Content-Security-Policy", _API_CSP), ("Cache-Control", "no-store")]
    docs = [*always, ("Content-Security-Policy", _DOCS_CSP)]

    @app.after_request
    def _security_headers(response: Response) -> Response:
        # Each header only where the route did not set its own; one pass over the response's
        # headers instead of a scan per header (this runs on every request).
        headers = response.headers
        present = {name.lower() for name in headers.keys()}  # noqa: SIM118 - Headers.keys()
        path = request.path
        wanted = docs if path == "/docs" or path.startswith("/docs/") else api
        for name, value in wanted:
            if name.lower() not in present:
                headers.add(name, value)
        return response

    return app
