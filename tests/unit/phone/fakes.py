"""The phone unit's fakes: the SMS budget's counters (application/phone/sms_budget.py), which
the contract suite holds to Firestore's (tests/e2e/phone/test_sms_counts.py), and
``adapters(settings)``, the unit on fakes."""

from __future__ import annotations

import threading
from datetime import datetime

from bootstrap.phone import UNIT, PhoneAdapters
from bootstrap.signin_policies import claim_sources
from bootstrap.units import core_units
from domain.phone.numbers import SmsCount
from domain.signin.codes.flows import Channel
from infrastructure.phone.numbers import LibPhoneNumbers
from infrastructure.phone.settings import PhoneSettings
from infrastructure.settings import Settings
from tests.fakes.signin_codes import FakeCodeFlows


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


def adapters(settings: Settings) -> PhoneAdapters:
    """The phone unit on fakes: its flows in memory, the real parsing of a number (pure
    computation), the texts' counters in memory."""
    region = settings.group(PhoneSettings).phone_default_region
    return PhoneAdapters(
        codes=FakeCodeFlows(Channel.PHONE),
        changes=FakeCodeFlows(Channel.PHONE),
        numbers=LibPhoneNumbers(default_region=region),
        counts=FakeSmsCounts(),
    )


# The core's claim sources and the phone unit's, as bind folds them with the unit on: for the
# tests that build a minting from fakes (tests/fakes/claims.py has the core's alone)
CLAIMS = claim_sources((*core_units(), UNIT))
