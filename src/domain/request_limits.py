"""Per-address request limits as sliding windows approximated from two fixed windows.

A limit of ``amount`` requests per ``seconds`` counts requests in fixed windows (number
``floor(now / seconds)``) and weighs the previous window by the part of it that still lies
within the last ``seconds``: ``previous * (1 - elapsed) + current``. Counters are cheap to
share (one increment per window) and a client never gets twice its budget across a window
boundary, as it could with fixed windows alone (docs/security.md).

A key whose limits let its client make more than about one request a second has its count
spread over several counters (``counters_for``): a store's counter is a document, and one
Firestore document takes about one write a second. Each request adds to one of them, in
turn, and the key's count is that counter's times their number (``WindowCounts.spread``):
one write and no read, as with one counter
(docs/decisions/0358-request-limits-by-client-over-spread-counters.md).
"""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Limit:
    amount: int
    seconds: int

    @property
    def policy(self) -> str:
        """The quota policy's name in the RateLimit headers."""
        return f"{self.amount}/{self.seconds}s"


@dataclass(frozen=True)
class WindowCounts:
    """Requests counted in the window before the current one, and in the current one."""

    previous: int
    current: int

    def spread(self, counters: int) -> WindowCounts:
        """The key's counts, from one of the ``counters`` its requests take in turn: as
        many again on each of the others, so that a key is never laxer than its limit
        (within ``counters`` - 1 requests stricter)."""
        return WindowCounts(self.previous * counters, self.current * counters)


@dataclass(frozen=True)
class Quota:
    """Where a client stands with one limit after a counted request."""

    limit: Limit
    allowed: bool
    remaining: int  # requests it may still make now
    reset: int  # seconds until it may make more than ``remaining`` (at least 1)


# What one counter (a Firestore document) takes, in writes a second (docs/decisions/0358).
COUNTER_WRITES_PER_SECOND = 1.0


def counters_for(limits: list[Limit]) -> int:
    """How many counters a key of these limits is spread over: enough that none takes more
    than ``COUNTER_WRITES_PER_SECOND`` while a client spends its most generous window as fast
    as that window lets it ("120/minute,1200/hour": 2 a second, two counters)."""
    fastest = max((limit.amount / limit.seconds for limit in limits), default=0.0)
    return max(1, math.ceil(fastest / COUNTER_WRITES_PER_SECOND))


def window_number(now: float, seconds: int) -> int:
    return math.floor(now / seconds)


def assess(limit: Limit, counts: WindowCounts, now: float) -> Quota:
    """The standing after a request that ``counts.current`` already includes."""
    amount, seconds = limit.amount, limit.seconds
    start = window_number(now, seconds) * seconds
    elapsed = min(max((now - start) / seconds, 0.0), 1.0)
    used = counts.previous * (1 - elapsed) + counts.current
    remaining = max(0, math.floor(amount - used))
    if remaining:
        reset = start + seconds - now  # the previous window has then weighed out
    elif counts.current + 1 <= amount:  # the previous window must weigh less first
        reset = start + seconds * (1 - (amount - counts.current - 1) / counts.previous) - now
    else:  # the current window must become the previous one and weigh less
        share = 1 - (amount - 1) / counts.current if counts.current else 0.0
        reset = start + seconds * (1 + max(share, 0.0)) - now
    return Quota(limit, used <= amount, remaining, max(1, math.ceil(reset)))


# The notation of the `limits` library, which firegate used to parse them with: "10/minute",
# "100 per hour", "5/10 seconds", several joined by "," ";" or "|". A month is 30 days and a
# year 12 of them, as there.
_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86_400}
_UNITS |= {"month": 30 * _UNITS["day"], "year": 360 * _UNITS["day"]}
_ONE = re.compile(
    r"\s*(\d+)\s*(?:/|per)\s*(\d+)?\s*(second|minute|hour|day|month|year)s?\s*", re.IGNORECASE
)


def parse_limits(text: str) -> list[Limit]:
    """The limits ``text`` names, in order; ValueError for anything else."""
    found: list[Limit] = []
    for part in re.split(r"[,;|]", text):
        match = _ONE.fullmatch(part)
        if match is None or int(match.group(1)) < 1 or match.group(2) == "0":
            raise ValueError(f"not a rate limit: {part.strip()!r}")
        multiple = int(match.group(2) or 1)
        found.append(Limit(int(match.group(1)), multiple * _UNITS[match.group(3).lower()]))
    return sorted(found)


def client_scope(address: str) -> str:
    """The unit a client address is throttled as: an IPv4 address, or an IPv6 /64 (one
    subscriber usually holds a whole /64 and could otherwise rotate through it)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)
