"""Request counters in Firestore, the default store: shared by every worker and instance
without other infrastructure (docs/security.md, docs/operations.md).

One document per counted key (route and client address), named by the key's SHA-256 so the
collection is no list of addresses. Each request is one write with no read and no
transaction: per window length, a server-side ``Increment(1)`` of the current window's
field and an ``Increment(0)`` of the previous one's, whose results come back in the commit's
write result. Blind increments never abort each other, so parallel requests all count; the
web layer stops writing for a client once it is over (interfaces/shared/limits.py), which keeps
a hammered document at about its limit of writes per window. ``expires`` is for a TTL policy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from domain.request_limits import WindowCounts, window_number
from infrastructure.firestore.sdk import firestore

REQUEST_COUNTS = "request_counts"
TIMEOUT_SECONDS = 1.0  # a slow store must not hold requests for long; no retries either


def window_field(seconds: int) -> str:
    return f"w{seconds:09d}"


def number_field(number: int) -> str:
    return f"n{number:012d}"


class FirestoreRequestCounter:
    def __init__(self, client: firestore.Client, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self._collection = client.collection(REQUEST_COUNTS)
        self._health = client.collection("_health")  # its document "ping"
        self._timeout = timeout

    def hit(self, key: str, windows: Sequence[int], now: float) -> dict[int, WindowCounts]:
        lengths = sorted(set(windows))
        if not lengths:
            return {}
        fields: dict[str, Any] = {}
        for seconds in lengths:
            number = window_number(now, seconds)
            # Zero-padded names sort like the numbers, so the transform results, which come
            # back in field-path order, are in this order too: previous, current per length.
            fields[window_field(seconds)] = {
                number_field(number - 2): firestore.DELETE_FIELD,
                number_field(number - 1): firestore.Increment(0),
                number_field(number): firestore.Increment(1),
            }
        longest = lengths[-1]
        fields["expires"] = datetime.fromtimestamp((window_number(now, longest) + 2) * longest, UTC)
        ref = self._collection.document(hashlib.sha256(key.encode()).hexdigest())
        result = ref.set(fields, merge=True, retry=None, timeout=self._timeout)
        values = [value.integer_value for value in result.transform_results]
        if len(values) != 2 * len(lengths):
            raise RuntimeError(f"expected {2 * len(lengths)} counts from Firestore, got {values}")
        return {
            seconds: WindowCounts(values[2 * i], values[2 * i + 1])
            for i, seconds in enumerate(lengths)
        }

    def check(self) -> bool:
        self._health.document("ping").get(retry=None, timeout=self._timeout)
        return True
