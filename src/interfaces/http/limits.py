"""Requests per client address on the unauthenticated entry points (Flask-Limiter).

Limits are looked up by method and path rule, so a route gets its limit as soon as some
blueprint declares it, whatever the blueprint or endpoint is called. The client address is
``request.remote_addr`` after ``ProxyFix`` (``TRUSTED_PROXY_HOPS``), never a header a client
can set; an IPv6 client counts as its /64.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial, wraps
from typing import Any

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

    _only_on_limited_routes(app, limiter, limit_for_request)

    @app.errorhandler(RateLimitExceeded)
    def _too_many_requests(exc: RateLimitExceeded) -> Response:
        return problem(
            429,
            "rate_limited",
            "Too many requests from this address; try again later.",
            headers={"Retry-After": str(_retry_after(limiter))},
        )

    return limiter


def _only_on_limited_routes(app: Flask, limiter: Limiter, limit: Callable[[], str]) -> None:
    """Run Flask-Limiter's request hooks only for the routes that have a limit.

    It hooks every request (before, after, teardown) and resolves and evaluates its limits
    even for a route that has none: ~90 µs a request, 5-8% of GET /user under load
    (README, "Measured"). The four limited routes keep exactly its behaviour.
    """
    wrapped = 0
    for hooks in (
        app.before_request_funcs.get(None, []),
        app.after_request_funcs.get(None, []),
        app.teardown_request_funcs.get(None, []),
    ):
        for index, hook in enumerate(hooks):
            owner = getattr(hook, "__self__", None)
            if isinstance(hook, partial) and hook.args:
                owner = hook.args[0]
            if owner is limiter:
                hooks[index] = _when_limited(hook, limit)
                wrapped += 1
    if limiter.enabled and wrapped != 3:  # an upgrade changed its hooks: look again
        raise RuntimeError(f"expected Flask-Limiter's 3 request hooks, found {wrapped}")


def _when_limited(hook: Callable[..., Any], limit: Callable[[], str]) -> Callable[..., Any]:
    @wraps(hook)
    def run(*args: Any) -> Any:
        if limit():
            return hook(*args)
        return args[0] if args else None  # after_request hands the response back

    return run


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
