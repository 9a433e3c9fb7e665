"""What the request limits of every driving adapter share (docs/security.md).

Limits are looked up by method and path rule, so a route gets its limit as soon as some
blueprint declares it, whatever the blueprint or endpoint is called; every other route pays
one dictionary lookup. A request counts against the client it authenticates where its route
names one (``Installed.limited_by``: an OAuth client by its secret, a session by its refresh
token's tag, an account by its access token's signature, none of them a read), and against
its address otherwise. The client address is ``request.remote_addr`` after ``ProxyFix``
(``TRUSTED_PROXY_HOPS``), never a header a client can set; an IPv6 client counts as its /64.

Counts live in a shared ``RequestCounter`` (Firestore by default): one round trip per
limited request, to one of the counters its key is spread over where its limits allow more
than about a request a second (``counters_for``; docs/decisions/0358). Once a client is
refused, this process refuses it without asking the store until its Retry-After has passed.
A store that fails lets the request through (logged).
Limited routes answer with the RateLimit-Policy and RateLimit fields of
draft-ietf-httpapi-ratelimit-headers-09 (docs/reference/index.md). The app shell
(interfaces/shared/shell.py) installs one limiter over the limits every adapter hands it.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from flask import Flask, Response, g, has_request_context, request

from application.ports import RequestCounter
from domain.errors import RateLimited
from domain.request_limits import Quota, assess, client_scope, counters_for, parse_limits

MAX_REMEMBERED_REFUSALS = 10_000  # then forget those whose Retry-After has passed
MAX_REMEMBERED_TURNS = 10_000  # spread keys whose next counter a process keeps
log = logging.getLogger("firegate.limits")

Route = tuple[str, str]  # (method, path rule): ("POST", "/login")
# Who a request to a route counts against, where it authenticates a client (an OAuth
# client's id, a session, an account), read from the request without asking the store;
# None: its address.
Identify = Callable[[], str | None]


@dataclass(frozen=True)
class LimitedAs:
    """A route that counts against another route's limit, with the same counters: the
    compatibility routes (docs/migrating.md), the pages (docs/pages.md), and the native
    route each stands for."""

    method: str
    rule: str
    endpoint: str  # the other route's endpoint: its counters' scope


def client_ip() -> str:
    """The client's address after ``ProxyFix`` (``TRUSTED_PROXY_HOPS``): the trusted hop's
    view, never a header a client can set; "" when unknown."""
    return request.remote_addr or ""


def client_key() -> str:
    return client_scope(client_ip())


def request_origin() -> tuple[str, str]:
    """The client address and user agent of the request being served, for the security
    events it causes; ``("", "")`` outside a request and for the job queue's push, whose
    caller is Pub/Sub, not a person."""
    if not has_request_context() or request.blueprint == "jobs":
        return "", ""
    return client_ip(), request.headers.get("User-Agent", "")[:256]


def request_client() -> str | None:
    """The OpenID client a sign-in page's request signs in for: the ``client_id`` of the
    authorization request its ``next`` goes back to (docs/hooks.md, "before_sign_in");
    None elsewhere."""
    if not has_request_context():
        return None
    back = request.args.get("next") or ""
    parts = urlsplit(back)
    if parts.scheme or parts.netloc or parts.path != "/authorize":
        return None
    client_id = parse_qs(parts.query).get("client_id", [""])[0]
    return client_id[:200] or None


@dataclass(frozen=True)
class Standing:
    """Where a client stands with every limit of a route after one request."""

    quotas: tuple[Quota, ...]

    @property
    def allowed(self) -> bool:
        return all(quota.allowed for quota in self.quotas)

    @property
    def retry_after(self) -> int:
        return max((q.reset for q in self.quotas if not q.allowed), default=0)

    def headers(self) -> dict[str, str]:
        """draft-ietf-httpapi-ratelimit-headers-09: each limit is a named quota policy."""
        return {
            "RateLimit-Policy": ", ".join(
                f'"{q.limit.policy}";q={q.limit.amount};w={q.limit.seconds}' for q in self.quotas
            ),
            "RateLimit": ", ".join(
                f'"{q.limit.policy}";r={q.remaining};t={q.reset}' for q in self.quotas
            ),
        }


@dataclass(frozen=True)
class _Refusal:
    until: float
    resets: tuple[tuple[Quota, float], ...]  # each quota and when it resets

    def standing(self, now: float) -> Standing:
        return Standing(
            tuple(
                Quota(q.limit, q.allowed, q.remaining, max(1, math.ceil(at - now)))
                for q, at in self.resets
            )
        )


class RequestLimiter:
    def __init__(
        self,
        limits: Mapping[Route, str],
        counter: RequestCounter,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limits = {route: parse_limits(text) for route, text in limits.items() if text.strip()}
        self.counters = {route: counters_for(items) for route, items in self.limits.items()}
        self.counter = counter
        self._clock = clock
        self._refused: dict[str, _Refusal] = {}
        self._turns: dict[str, int] = {}  # a spread key's next counter, in this process
        self._lock = threading.Lock()

    def limited(self, method: str, rule: str) -> bool:
        return (method, rule) in self.limits

    def hit(self, method: str, rule: str, client: str, scope: str) -> Standing | None:
        """Count one request of ``client`` (an address, or who the request authenticates)
        to the route; None when nothing limits it."""
        items = self.limits.get((method, rule))
        if not items or not client or not scope:
            return None
        key = f"{scope} {client}"
        now = self._clock()
        refusal = self._refused.get(key)
        if refusal is not None and now < refusal.until:
            return refusal.standing(now)
        counters = self.counters[method, rule]
        counted = key if counters == 1 else f"{key} #{self._turn(key, counters)}"
        try:
            counts = self.counter.hit(counted, [limit.seconds for limit in items], now)
        except Exception as exc:  # the limits must not turn every login into a 503
            log.warning("rate limit store failed (%s): request let through", type(exc).__name__)
            return None
        standing = Standing(
            tuple(assess(limit, counts[limit.seconds].spread(counters), now) for limit in items)
        )
        if not standing.allowed:
            self._remember(key, now, standing.quotas)
        return standing

    def _turn(self, key: str, counters: int) -> int:
        """The counter of ``key`` this request adds to: each in turn, from one drawn at
        random when this process first counts the key (processes start apart, so their
        requests spread evenly too)."""
        with self._lock:
            turn = self._turns.get(key)
            if turn is None:
                if len(self._turns) >= MAX_REMEMBERED_TURNS:
                    self._turns.clear()  # keys start again from a random counter
                turn = random.randrange(counters)  # noqa: S311 - a spread, not a secret
            self._turns[key] = turn + 1
        return turn % counters

    def _remember(self, key: str, now: float, quotas: Sequence[Quota]) -> None:
        refusal = _Refusal(
            until=now + max(q.reset for q in quotas if not q.allowed),
            resets=tuple((q, now + q.reset) for q in quotas),
        )
        with self._lock:
            if len(self._refused) >= MAX_REMEMBERED_REFUSALS:
                self._refused = {k: r for k, r in self._refused.items() if now < r.until}
            self._refused[key] = refusal


def install_rate_limits(
    app: Flask,
    limits: Mapping[Route, str],
    counter: RequestCounter,
    aliases: Mapping[Route, LimitedAs],
    *,
    refused: Callable[[], None] | None = None,
    identify: Mapping[Route, Identify] | None = None,
) -> RequestLimiter:
    """Count every limited route's requests per client: who the request authenticates on
    the routes of ``identify``, its address otherwise; the routes in ``aliases`` against the
    route each stands for; ``refused`` is told of each request refused."""
    limiter = RequestLimiter(limits, counter)
    same_as = dict(aliases)
    who = dict(identify or {})

    @app.before_request
    def _limit() -> None:
        rule = request.url_rule
        if rule is None:
            return
        method, path, scope = request.method, rule.rule, request.endpoint or ""
        alias = same_as.get((method, path))
        if alias is not None:
            method, path, scope = alias.method, alias.rule, alias.endpoint
        if not limiter.limited(method, path):
            return
        identified = who.get((method, path))  # the route counted, a compatibility route's too
        client = (identified() if identified is not None else None) or client_key()
        standing = limiter.hit(method, path, client, scope)
        if standing is None:
            return
        g.rate_limit_standing = standing
        if standing.allowed:
            return
        log.info("rate limit exceeded by %s at %s", client, rule.rule)
        if refused is not None:
            refused()
        # Raised, not answered: each adapter's error handler renders it (a problem for the
        # API, a page for the pages), with the same status and Retry-After.
        raise RateLimited(
            "Too many requests from this client; try again later.",
            retry_after=standing.retry_after,
        )

    @app.after_request
    def _headers(response: Response) -> Response:
        standing: Standing | None = g.pop("rate_limit_standing", None)
        if standing is not None:
            response.headers.update(standing.headers())
        return response

    return limiter
