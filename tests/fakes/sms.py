"""Fakes of what texts to phone numbers need: the SMS budget's counters
(application/signin/codes/sms_budget.py)."""

from __future__ import annotations

import threading
from datetime import datetime


class FakeSmsCounts:
    """The SMS budget's counters: each spend its own count, as Firestore's increments."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def spend(self, key: str, expires: datetime) -> int:
        with self._lock:
            self.counts[key] = count = self.counts.get(key, 0) + 1
            return count
