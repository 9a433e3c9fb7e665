"""Requests per client address on the unauthenticated entry points (the `limits` library).

Limits are looked up by method and path rule, so a route gets its limit as soon as some
blueprint declares it, whatever the blueprint or endpoint is called; every other route pays
one dictionary lookup. The client address is ``request.remote_addr`` after ``ProxyFix``
(``TRUSTED_PROXY_HOPS``), never a header a client can set; an IPv6 client counts as its /64.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, Response, request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from domain.throttling import client_scope
from interfaces.http.errors import problem

REDIS_TIMEOUT = 1  # seconds: a slow shared store must not hold requests for long
KEY_PREFIX = "firegate"
# While the shared store is down, look at it again after 1, 2, 4 ... 32 seconds, then anew.
RECHECK_SECONDS = (1, 2, 4, 8, 16, 32)
EXTENSION = "firegate.rate_limits"  # the installed RequestLimiter in ``app.extensions``
log = logging.getLogger("firegate.limits")


@dataclass(frozen=True)
class RateLimits:
    """Limit strings per route ("10/minute,100/hour"; empty: no limit)."""

    enabled: bool = True
    storage_uri: str = "memory://"
    register: str = "10/minute,100/hour"
    login: str = "30/minute,300/hour"
    refresh: str = "60/minute,600/hour"
    firebase: str = "30/minute,300/hour"
    email_verify: str = "30/minute,300/hour"
    password_forgot: str = "5/minute,50/hour"
    password_reset: str = "10/minute,100/hour"

    def by_route(self) -> dict[tuple[str, str], str]:
        return {
            ("POST", "/register"): self.register,
            ("POST", "/login"): self.login,
            ("POST", "/auth/refresh"): self.refresh,
            ("POST", "/auth/firebase"): self.firebase,
            ("POST", "/auth/email/verify"): self.email_verify,
            ("POST", "/auth/password/forgot"): self.password_forgot,
            ("POST", "/auth/password/reset"): self.password_reset,
        }


@dataclass(frozen=True)
class Breach:
    limit: RateLimitItem
    retry_after: int  # seconds until the limit lets one more request through


class RequestLimiter:
    """Moving-window limits (exact: a client never gets twice the limit across a window
    boundary) kept in a `limits` storage. With a shared store that fails, each instance
    limits on its own, in memory, until the store answers again."""

    def __init__(
        self,
        limits: dict[tuple[str, str], str],
        storage: Storage,
        *,
        fallback: bool,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = {
            route: sorted(parse_many(text)) for route, text in limits.items() if text.strip()
        }
        self.storage = storage
        self._shared = MovingWindowRateLimiter(storage)
        self._local = MovingWindowRateLimiter(MemoryStorage()) if fallback else None
        self._clock = clock
        self._down = False
        self._rechecks = 0
        self._next_check = 0.0

    def limited(self, method: str, rule: str) -> bool:
        return (method, rule) in self.limits

    def hit(self, method: str, rule: str, client: str, scope: str) -> Breach | None:
        """Count one request of ``client`` to the route; the first limit it breaches."""
        items = self.limits.get((method, rule))
        if not items or not client or not scope:
            return None
        keys = (KEY_PREFIX, client, scope)
        if self._local is not None and self._down and not self._store_is_back():
            return _first_breach(self._local, items, keys)
        try:
            return _first_breach(self._shared, items, keys)
        except Exception:
            if self._local is None:
                raise
            log.warning("rate limit store unreachable: limiting in memory meanwhile")
            self._down, self._rechecks = True, 0
            self._next_check = self._clock() + RECHECK_SECONDS[0]
            return _first_breach(self._local, items, keys)

    def _store_is_back(self) -> bool:
        now = self._clock()
        if now < self._next_check:
            return False
        self._rechecks = (self._rechecks + 1) % len(RECHECK_SECONDS)
        self._next_check = now + RECHECK_SECONDS[self._rechecks]
        try:
            back = self.storage.check()
        except Exception:
            back = False
        if back:
            log.info("rate limit store reachable again")
            self._down = False
        return back


def _first_breach(
    limiter: MovingWindowRateLimiter, items: list[RateLimitItem], keys: tuple[str, ...]
) -> Breach | None:
    for item in items:
        if not limiter.hit(item, *keys):
            return Breach(item, _retry_after(limiter, item, keys))
    return None


def _retry_after(
    limiter: MovingWindowRateLimiter, item: RateLimitItem, keys: tuple[str, ...]
) -> int:
    try:
        reset = limiter.get_window_stats(item, *keys).reset_time
    except Exception:  # the store failed since the hit; the header must still be sent
        return 60
    return max(1, math.ceil(reset - time.time()))


def make_request_limiter(limits: RateLimits) -> RequestLimiter:
    shared = not limits.storage_uri.startswith("memory://")
    options: dict[str, float | str | bool] = (
        {"socket_timeout": REDIS_TIMEOUT, "socket_connect_timeout": REDIS_TIMEOUT} if shared else {}
    )
    storage = storage_from_string(limits.storage_uri, **options)
    if not isinstance(storage, Storage):
        raise TypeError(f"not a synchronous rate limit store: {limits.storage_uri}")
    return RequestLimiter(limits.by_route(), storage, fallback=shared)


def client_key() -> str:
    return client_scope(request.remote_addr or "")


def install_rate_limits(app: Flask, limits: RateLimits) -> RequestLimiter | None:
    if not limits.enabled:
        return None
    limiter = make_request_limiter(limits)
    app.extensions[EXTENSION] = limiter

    @app.before_request
    def _limit() -> Response | None:
        rule = request.url_rule
        if rule is None or not limiter.limited(request.method, rule.rule):
            return None
        breach = limiter.hit(request.method, rule.rule, client_key(), request.endpoint or "")
        if breach is None:
            return None
        log.info("rate limit %s exceeded by %s at %s", breach.limit, client_key(), rule.rule)
        return problem(
            429,
            "rate_limited",
            "Too many requests from this address; try again later.",
            headers={"Retry-After": str(breach.retry_after)},
        )

    return limiter


DEFAULT_RATE_LIMITS = RateLimits()
