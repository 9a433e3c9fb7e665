"""The JSON API on the app shell: its blueprints, Swagger UI, and what it hands the shell
(docs/reference/index.md's conventions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, request
from werkzeug.exceptions import NotFound

from interfaces.http.compat import SHARED_LIMITS
from interfaces.http.converters import CONVERTERS
from interfaces.http.limits import LIMITED_BY, ApiLimits
from interfaces.http.openapi import doc, install_docs
from interfaces.http.routes import health, jobs
from interfaces.http.routes.accounts import accounts, guest_merges, profile_schema, users
from interfaces.http.routes.clients import org_clients
from interfaces.http.routes.events import events, webhooks
from interfaces.http.routes.federation import connected_accounts, firebase, upstream
from interfaces.http.routes.hooks import auth_hooks
from interfaces.http.routes.mail import email
from interfaces.http.routes.orgs import access, active, orgs
from interfaces.http.routes.orgs import agent_policy as org_agent_policy
from interfaces.http.routes.orgs import domains as org_domains
from interfaces.http.routes.orgs import invitations as org_invitations
from interfaces.http.routes.orgs import roles as org_roles
from interfaces.http.routes.orgs import support_access as org_support_access
from interfaces.http.routes.orgs import templates as org_role_templates
from interfaces.http.routes.resources import dogs, dogs_api
from interfaces.http.routes.scim import tokens as scim_tokens
from interfaces.http.routes.signin import (
    account_phone,  # noqa: F401 - its routes are on accounts.bp
    email_code,
    guest,
    login,  # noqa: F401 - its routes are on accounts.bp
    login_api,
    mfa,
    passkeys,
    personal_tokens,
    phone_code,
    sessions,
)
from interfaces.http.routes.signin.support import impersonation
from interfaces.http.routes.sso import connections as sso_connections
from interfaces.http.routes.sso import discovery as sso_discovery
from interfaces.http.routes.sso import setup_links as sso_setup_links
from interfaces.http.schemas.common import JsonWebKeySet
from interfaces.shared.services import services
from interfaces.shared.shell import Cors, Installed, PathHeaders, jwks


@dataclass(frozen=True)
class HttpConfig:
    """What the JSON API takes from the settings; their defaults live in Settings only."""

    cors_origins: tuple[str, ...]
    rate_limits: ApiLimits
    max_upload_bytes: int  # multipart uploads (the upload units': datasets, files)
    compat_routes: bool  # the replaced systems' routes (docs/migrating.md)
    # The units' blueprints (bootstrap/units.py), after the core's; their replaced systems'
    # routes with ``compat_routes`` only.
    unit_blueprints: tuple[Blueprint, ...] = ()
    unit_compat_blueprints: tuple[Blueprint, ...] = ()


# The route modules' blueprints, in the order they are registered.
BLUEPRINTS = (
    health.bp,
    accounts.bp,
    email.bp,
    email_code.bp,
    phone_code.bp,
    guest.bp,
    firebase.bp,
    connected_accounts.bp,
    upstream.bp,
    guest_merges.bp,
    sessions.bp,
    impersonation.bp,
    active.bp,
    personal_tokens.bp,
    passkeys.bp,
    mfa.bp,
    users.bp,
    profile_schema.bp,
    events.bp,
    dogs.bp,
    jobs.bp,
    webhooks.bp,
    auth_hooks.bp,
    orgs.bp,
    org_domains.bp,
    org_clients.bp,
    org_invitations.bp,
    org_roles.bp,
    org_role_templates.bp,
    org_agent_policy.bp,
    org_support_access.bp,
    access.bp,
    sso_connections.bp,
    sso_discovery.bp,
    sso_setup_links.bp,
    scim_tokens.bp,
)
# The replaced systems' routes (docs/migrating.md), with ``compat_routes`` only.
COMPAT_BLUEPRINTS = (dogs_api.bp, login_api.bp)


# Swagger UI: its own scripts and styles, one inline bootstrap script, the spec from /.
_DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)

# The shell serves the JWKS; the API's document describes it.
doc(responses={200: JsonWebKeySet}, tags=("sessions",))(jwks)


def _public_keys() -> Sequence[dict[str, Any]]:
    """The keys that verify the API's access tokens (none with a shared HS256 secret)."""
    own = services().signin.authentication.jwks()["keys"]
    return list(own) if isinstance(own, list) else []


def install(app: Flask, config: HttpConfig) -> Installed:
    app.config["MAX_UPLOAD_BYTES"] = config.max_upload_bytes  # see interfaces/http/uploads.py
    app.url_map.converters.update(CONVERTERS)
    for blueprint in (*BLUEPRINTS, *config.unit_blueprints):
        app.register_blueprint(blueprint)
    if config.compat_routes:
        for blueprint in (*COMPAT_BLUEPRINTS, *config.unit_compat_blueprints):
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
        limits=config.rate_limits.by_route(),
        limited_as=SHARED_LIMITS if config.compat_routes else {},
        limited_by=LIMITED_BY,
        cors=cors if config.cors_origins else None,
        headers=(PathHeaders("/docs", (("Content-Security-Policy", _DOCS_CSP),)),),
        public_keys=_public_keys,
    )
