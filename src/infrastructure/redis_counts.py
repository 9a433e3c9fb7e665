"""Request counters in Redis (``RATE_LIMIT_STORAGE_URI=redis://...``; docs/operations.md).

One pipelined round trip per request: for each window length, INCR the current window's key
(expiring once it cannot be the previous window any more) and GET the previous window's.
"""

from __future__ import annotations

from collections.abc import Sequence

import redis

from domain.request_limits import WindowCounts, window_number

TIMEOUT_SECONDS = 1.0  # a slow shared store must not hold requests for long
KEY_PREFIX = "firegate:limits"


def redis_url(uri: str) -> str:
    """redis-py's spelling of a URI: ``redis+unix://`` is its ``unix://``."""
    return "unix://" + uri.removeprefix("redis+unix://") if uri.startswith("redis+unix://") else uri


class RedisRequestCounter:
    def __init__(self, uri: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self._redis = redis.Redis.from_url(
            redis_url(uri), socket_timeout=timeout, socket_connect_timeout=timeout
        )

    def hit(self, key: str, windows: Sequence[int], now: float) -> dict[int, WindowCounts]:
        pipe = self._redis.pipeline(transaction=False)
        for seconds in windows:
            number = window_number(now, seconds)
            current = f"{KEY_PREFIX}:{key}:{seconds}:{number}"
            pipe.incr(current)
            pipe.expire(current, 2 * seconds)
            pipe.get(f"{KEY_PREFIX}:{key}:{seconds}:{number - 1}")
        replies = pipe.execute()
        return {
            seconds: WindowCounts(int(replies[3 * i + 2] or 0), int(replies[3 * i]))
            for i, seconds in enumerate(windows)
        }

    def check(self) -> bool:
        return bool(self._redis.ping())

    def close(self) -> None:
        self._redis.close()
