"""Fakes of what texts to phone numbers need: the SMS budget's counters
(application/signin/codes/sms_budget.py)."""

from __future__ import annotations

import threading
from datetime import datetime

from domain.signin.phone_numbers import SmsCount


class FakeSmsCounts:
    """The SMS budget's counters: each spend its own counts, as Firestore's increments."""

    def __init__(self) -> None:
        self.counts: dict[str, SmsCount] = {}
        self._lock = threading.Lock()

    def spend(self, key: str, expires: datetime, *, fresh: bool) -> SmsCount:
        with self._lock:
            before = self.counts.get(key, SmsCount(0))
            self.counts[key] = after = SmsCount(before.count + 1, before.fresh + fresh)
            return after
