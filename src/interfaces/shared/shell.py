"""The app shell: the Flask app that the driving adapters (the JSON API, the pages, the
provider) are installed on, and what they share (docs/reference/index.md, "One app, three
adapters"): proxy handling, the error handlers, the request logs, the units' request gates,
CORS, the security headers, the per-address limits and the JWKS.

Each adapter's ``install(app, config)`` puts its routes on the app and hands the shell an
``Installed``: its limits, CORS resources, header rules and public keys, as data. The shell
reads them in the order of the adapters' names, never in the order they were installed in,
which changes nothing (tests/unit/test_app_shell.py). The shell imports no adapter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from flask_cors import CORS
from werkzeug.middleware.proxy_fix import ProxyFix

from application.metrics import THROTTLE_REFUSALS
from application.services import Services
from domain.slots import Filling, Slot, filled
from interfaces.shared.acting import FILLS
from interfaces.shared.limits import Identify, LimitedAs, Route, install_rate_limits
from interfaces.shared.logs import TraceIds, install_request_context
from interfaces.shared.metrics import MetricsConfig, install_metrics
from interfaces.shared.problems import ProblemPart, install_error_handlers

Jwk = Mapping[str, Any]
KeySource = Callable[[], Sequence[Jwk]]  # read on each JWKS request

# The JSON API's slots in the shell, filled by the units (signin's: docs/contributing.md,
# "Units"): its limited routes whose requests count against whom they authenticate, and the
# sources of the keys that verify its access tokens.
API_LIMITED_BY = Slot[tuple[Route, Identify]]("the JSON API's routes limited by whom")
API_PUBLIC_KEYS = Slot[KeySource]("the JSON API's public keys")

# What may answer a request before anything else does (a refused Host's 421, say): each
# gate, in the units' order, is asked before the pages', the limits' and the sessions' hooks
# (only the request log's stamp, its id and start time, comes first), so that nothing has
# touched the session or set a cookie when one answers; the first answer wins, None lets the
# request on. The probes (``PROBE_PATHS``) never pass through them
# (docs/decisions/0855-request-gates-come-first.md).
RequestGate = Callable[[], Response | None]
REQUEST_GATES = Slot[RequestGate]("the gates every request passes first")
# Cloud Run's probes (interfaces/http/routes/health.py): answered whatever a gate would say.
PROBE_PATHS = frozenset({"/healthz", "/readyz"})


@dataclass(frozen=True)
class Cors:
    """One adapter's cross-origin answers (flask-cors' options)."""

    origins: tuple[str, ...]  # ("*",): any origin, and then never with credentials
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    # Path patterns and the methods each answers; None: every path that no adapter keeps.
    paths: Mapping[str, tuple[str, ...]] | None = None
    # Path prefixes whose CORS is this adapter's alone: no other adapter's reaches them.
    keeps: tuple[str, ...] = ()
    max_age: int = 600


@dataclass(frozen=True)
class PathHeaders:
    """The headers of ``path`` and what is below it, in place of the shell's default
    Content-Security-Policy and Cache-Control: no-store (Swagger UI's, say)."""

    path: str
    headers: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Installed:
    """What an adapter hands the shell once its routes are on the app."""

    name: str  # the adapter's: the shell reads each adapter's part in the order of their names
    limits: Mapping[Route, str] = field(default_factory=dict)  # "10/minute,100/hour"
    limited_as: Mapping[Route, LimitedAs] = field(default_factory=dict)  # same counters
    # Limited routes whose requests count against the client they authenticate, not only
    # their address (docs/security.md, "Per-address request limits")
    limited_by: Mapping[Route, Identify] = field(default_factory=dict)
    cors: Cors | None = None
    headers: tuple[PathHeaders, ...] = ()
    public_keys: KeySource | None = None  # read on each JWKS request


@dataclass(frozen=True)
class ShellConfig:
    """What the shell takes from the settings; their defaults live in Settings only."""

    project: str
    max_body_bytes: int  # MAX_JSON_BYTES: every body but a multipart upload's
    trusted_proxy_hops: int
    production: bool
    rate_limits: bool  # RATE_LIMIT_ENABLED
    # The current span's trace id, span id and sampled flag for the request logs, when
    # traces are on (docs/operations.md, "Traces"); None: Cloud Run's trace header.
    trace_ids: TraceIds | None = None
    # What the units' errors add to their problems (``PROBLEM_PARTS``)
    problem_parts: Sequence[ProblemPart[Any]] = ()
    # Every running unit's fillings, kept on the app for the slots a request reads
    # (``interfaces.shared.acting.filled_here``: the request's authentication among them)
    fills: Sequence[Filling[Any]] = ()


Install = Callable[[Flask], Installed]

PUBLIC_KEYS = "firegate.public_keys"  # the shell's own: each adapter's key source, for jwks()
_DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'"


def create_app(
    services: Services,
    config: ShellConfig,
    adapters: Iterable[Install],
    metrics: MetricsConfig | None = None,
) -> Flask:
    """The app with each of ``adapters`` installed, in any order; ``metrics``: None when
    they are off."""
    app = Flask("firegate")
    app.config.update(MAX_CONTENT_LENGTH=config.max_body_bytes, JSON_SORT_KEYS=False)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["firegate"] = services  # see interfaces/shared/services.py
    app.extensions[FILLS] = tuple(config.fills)
    if config.trusted_proxy_hops:
        # The client IP is the one the trusted proxies saw, never a header a client forged.
        # The scheme is the nearest proxy's word: Cloud Run's front end and Google's load
        # balancers each set X-Forwarded-Proto to one value, however many addresses they
        # append to X-Forwarded-For (docs/security.md, "The client address").
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=config.trusted_proxy_hops, x_proto=1
        )
    install_error_handlers(app, config.problem_parts)
    install_request_context(app, config.project, config.trace_ids)
    _install_gates(app, filled((config,), REQUEST_GATES))
    if metrics is not None:
        install_metrics(app, metrics)
    app.register_blueprint(jwks_bp)

    parts = sorted((install(app) for install in adapters), key=lambda part: part.name)
    names = [part.name for part in parts]
    if len(set(names)) != len(names):
        raise ValueError(f"an adapter installed twice: {names}")
    app.extensions[PUBLIC_KEYS] = tuple(p.public_keys for p in parts if p.public_keys)
    _install_cors(app, parts)
    if config.rate_limits:
        install_rate_limits(
            app,
            {route: text for part in parts for route, text in part.limits.items()},
            services.platform.request_counter,
            {route: alias for part in parts for route, alias in part.limited_as.items()},
            refused=partial(metrics.metrics.add, THROTTLE_REFUSALS, scope="requests")
            if metrics
            else None,
            identify={route: who for part in parts for route, who in part.limited_by.items()},
        )
    _install_security_headers(app, config.production, [h for p in parts for h in p.headers])
    return app


def _install_gates(app: Flask, gates: Sequence[RequestGate]) -> None:
    """The units' request gates, as the first hook after the request log's stamp (none:
    no hook at all)."""
    if not gates:
        return

    @app.before_request
    def _gated() -> Response | None:
        if request.path in PROBE_PATHS:
            return None
        for gate in gates:
            answer = gate()
            if answer is not None:
                return answer
        return None


jwks_bp = Blueprint("jwks", __name__)


@jwks_bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    """Public keys that verify access tokens, by ``kid`` (empty with a shared HS256 secret),
    and the OpenID Connect provider's, where it has its own (docs/reference/oauth.md)."""
    keys: list[Jwk] = []
    known: set[str] = set()
    sources: tuple[Callable[[], Sequence[Jwk]], ...] = current_app.extensions[PUBLIC_KEYS]
    for source in sources:
        for key in source():
            if key["kid"] not in known:  # one key that signs for two adapters, listed once
                known.add(key["kid"])
                keys.append(key)
    response = jsonify({"keys": keys})
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _install_cors(app: Flask, parts: Sequence[Installed]) -> None:
    """One flask-cors policy per adapter, in the order of their names: where two match a
    path, the one installed last answers a route's response, the first an error's."""
    kept = [
        re.escape(prefix.lstrip("/")) for part in parts if part.cors for prefix in part.cors.keeps
    ]
    rest = f"^/(?!{'|'.join(kept)}).*" if kept else "^/.*"
    for part in parts:
        cors = part.cors
        if cors is None or not cors.origins:
            continue
        if cors.paths is None:
            resources: dict[str | re.Pattern[str], dict[str, Any]] = {rest: {}}
        else:
            resources = {path: {"methods": list(methods)} for path, methods in cors.paths.items()}
        anyone = cors.origins == ("*",)
        CORS(
            app,
            resources=resources,
            origins="*" if anyone else list(cors.origins),
            send_wildcard=anyone,  # "*": a browser sends no cookie or other credential with it
            supports_credentials=False,
            allow_headers=list(cors.allow_headers),
            expose_headers=list(cors.expose_headers),
            max_age=cors.max_age,
        )


def _install_security_headers(app: Flask, production: bool, special: Sequence[PathHeaders]) -> None:
    always = [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if production:
        # Two years, as hstspreload.org asks; locally (plain http) it would pin localhost.
        always.append(("Strict-Transport-Security", "max-age=63072000; includeSubDomains"))
    default = [*always, ("Content-Security-Policy", _DEFAULT_CSP), ("Cache-Control", "no-store")]
    by_path = [(rule.path, rule.path + "/", [*always, *rule.headers]) for rule in special]

    @app.after_request
    def _security_headers(response: Response) -> Response:
        # Each header only where the route did not set its own; one pass over the response's
        # headers instead of a scan per header (this runs on every request).
        headers = response.headers
        present = {name.lower() for name in headers.keys()}  # noqa: SIM118 - Headers.keys()
        path = request.path
        wanted = next(
            (own for exact, below, own in by_path if path == exact or path.startswith(below)),
            default,
        )
        for name, value in wanted:
            if name.lower() not in present:
                headers.add(name, value)
        return response
