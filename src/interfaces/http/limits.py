"""Requests per client address on the unauthenticated entry points (Flask-Limiter).

Limits are looked up by method and path rule, so a route gets its limit as soon as some
blueprint declares it, whatever the blueprint or endpoint is called. The client address is
``request.remote_addr`` after ``ProxyFix`` (``TRUSTED_PROXY_HOPS``), never a header a client
can set; an IPv6 client counts as its /64.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from flask import Flask, Response, request
from flask_limiter import Limiter, RateLimitExceeded

from domain.throttling import client_scope
from interfaces.http.errors import problem

REDIS_TIMEOUT = 1  # seconds: a slow shared store must not hold requests for long


@dataclass(frozen=True)
class RateLimits:
    """Flask-Limiter strings per route ("10/minute,100/hour"; empty: no limit)."""

    enabled: bool = True
    storage_uri: str = "memory://"
    register: str = "10/minute,100/hour"
    login: str = "30/minute,300/hour"
    refresh: str = "60/minute,600/hour"
    firebase: str = "30/minute,300/hour"

    def by_route(self) -> dict[tuple[str, str], str]:
        return {
            ("POST", "/register"): self.register,
            ("POST", "/login"): self.login,
            ("POST", "/auth/refresh"): self.refresh,
            ("POST", "/auth/firebase"): self.firebase,
        }


def client_key() -> str:
    return client_scope(request.remote_addr or "")


def install_rate_limits(app: Flask, limits: RateLimits) -> Limiter:
    table = limits.by_route()

    def limit_for_request() -> str:
        rule = request.url_rule
        return table.get((request.method, rule.rule), "") if rule is not None else ""

    shared = not limits.storage_uri.startswith("memory://")
    limiter = Limiter(
        client_key,
        app=app,
        default_limits=[limit_for_request],
        storage_uri=limits.storage_uri,
        storage_options=(
            {"socket_timeout": REDIS_TIMEOUT, "socket_connect_timeout": REDIS_TIMEOUT}
            if shared
            else {}
        ),
        # Exact: a client never gets twice the limit across a window boundary.
        strategy="moving-window",
        key_prefix="firegate",
        # With the shared store down, each instance limits on its own until it is back.
        in_memory_fallback_enabled=shared,
        enabled=limits.enabled,
    )

    @app.errorhandler(RateLimitExceeded)
    def _too_many_requests(exc: RateLimitExceeded) -> Response:
        return problem(
            429,
            "rate_limited",
            "Too many requests from this address; try again later.",
            headers={"Retry-After": str(_retry_after(limiter))},
        )

    return limiter


def _retry_after(limiter: Limiter) -> int:
    """Seconds until the breached limit lets one more request through."""
    breached = limiter.current_limit
    if breached is None:
        return 60
    try:
        reset = breached.window.reset_time
    except Exception:  # the store failed since the check; the header must still be sent
        return 60
    return max(1, math.ceil(reset - time.time()))


DEFAULT_RATE_LIMITS = RateLimits()
