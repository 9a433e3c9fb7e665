"""The SMS budget: what texts to phone numbers may cost, per number prefix and clock hour,
shared by every instance (docs/reference/phone.md, "The SMS budget";
docs/decisions/0533-phone-numbers-and-their-sms-budget.md).

Each text spends one from its prefix's hour: the counter's new count comes back with the
spend, and a count past the budget is refused, so however many spend at once, no more than
the budget go through. A process that has seen its prefix's hour spent refuses the rest of
that hour without writing, which keeps a pumped prefix's counter at about its budget of
writes an hour.

The same count tells the process when a prefix's hour has reached half its budget: from then
on, requests for numbers under it ask for a challenge (``crowded``), known without a read
(docs/decisions/0542-a-challenge-on-a-prefix-past-half-its-budget.md).

A share of each budget (``accounts_share``, SMS_ACCOUNTS_SHARE) is kept for numbers that
already have an account: the spends for numbers without one are counted apart in the same
write, and past the rest of the budget they are refused, so no flood of new numbers spends
what a prefix's people need to sign in
(docs/decisions/0652-a-share-of-the-sms-budget-kept-for-accounts.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from application.metrics import SMS_REFUSED, SMS_SENT
from application.ports import NO_METRICS, Clock, Metrics
from domain.errors import RateLimited
from domain.phone.numbers import (
    ACCOUNTS_SHARE,
    PhoneNumber,
    SmsBudgets,
    SmsCount,
    SmsWindow,
)

log = logging.getLogger("firegate.sms")

# The refusal's reason of a text to a number without an account past its share of the budget
KEPT_FOR_ACCOUNTS = "kept_for_accounts"
_SPENT_KEPT = 1_000  # hours known spent that a process remembers, at most


class SmsCounts(Protocol):
    """The texts counted per prefix and hour, shared by every instance."""

    def spend(self, key: str, expires: datetime, *, fresh: bool) -> SmsCount:
        """One more text under ``key`` (a prefix's hour, kept until ``expires``), counted
        among those for numbers without an account too where ``fresh``; the counts with it,
        each concurrent spend getting its own."""
        ...


@dataclass(frozen=True, kw_only=True, slots=True)
class HourlySmsBudget:
    """The ``SmsBudget`` port (application/signin/ports.py) over shared counters."""

    counts: SmsCounts
    budgets: SmsBudgets
    clock: Clock
    metrics: Metrics = NO_METRICS
    enabled: bool = True  # SMS_ENABLED: false refuses every text
    # SMS_ACCOUNTS_SHARE: the percentage of each budget kept for numbers with an account
    accounts_share: int = ACCOUNTS_SHARE
    # The hours this process has seen spent (their counters' keys): refused without a write
    spent: set[str] = field(default_factory=set)
    # The hours it has seen spent for numbers without an account: theirs refused so
    fresh_spent: set[str] = field(default_factory=set)
    # The hours this process has seen at half their budget: their requests ask for a challenge
    halved: set[str] = field(default_factory=set)

    def crowded(self, number: PhoneNumber) -> bool:
        budget = self.budgets.for_number(number)
        return budget.window(self.clock.now()).key in self.halved

    def spend(self, number: PhoneNumber, *, held: bool) -> None:
        now = self.clock.now()
        budget = self.budgets.for_number(number)
        window = budget.window(now)
        if not self.enabled:
            raise self._refused(window, now, "disabled")
        if budget.per_hour == 0:
            raise self._refused(window, now, "forbidden")
        if window.key in self.spent:
            raise self._refused(window, now, "over_budget")
        if not held and window.key in self.fresh_spent:
            raise self._refused(window, now, KEPT_FOR_ACCOUNTS)
        spent = self.counts.spend(window.key, window.end, fresh=not held)
        share = self.accounts_share
        if budget.crowded(spent, share):
            _remember(self.halved, window.key)
        if not budget.allows(spent, held=held, accounts_share=share):
            over = budget.used(spent, share) > budget.per_hour
            _remember(self.spent if over else self.fresh_spent, window.key)
            log.warning(
                "SMS budget spent%s: %s texts an hour for %s; texts refused until %s",
                "" if over else " for numbers without an account",
                budget.per_hour if over else budget.fresh_at_most(share),
                budget.prefix,
                f"{window.end:%H:%M} UTC",
            )
            raise self._refused(window, now, "over_budget" if over else KEPT_FOR_ACCOUNTS)
        self.metrics.add(SMS_SENT, country=number.country or "unknown")

    def _refused(self, window: SmsWindow, now: datetime, reason: str) -> RateLimited:
        self.metrics.add(SMS_REFUSED, reason=reason)
        return window.refused(now)


def _remember(hours: set[str], key: str) -> None:
    """``key`` among ``hours``, which are forgotten all at once past ``_SPENT_KEPT``."""
    if key not in hours:
        if len(hours) >= _SPENT_KEPT:
            hours.clear()
        hours.add(key)
