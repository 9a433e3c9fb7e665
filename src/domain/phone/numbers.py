"""A phone number as an identifier, and the budget of the texts sent to numbers
(docs/reference/phone.md, docs/decisions/0533-phone-numbers-and-their-sms-budget.md).

A number is E.164 (``+`` and digits), parsed and typed by the ``PhoneNumbers`` port. What a
text may cost is bounded per number prefix and clock hour: ``SMS_BUDGETS`` names a count of
texts per hour for prefixes (``+44``, ``+4470``) and for every other number (``*``); a
number spends from the budget of the longest prefix it starts with, shared by every number
under that prefix and every instance of the service. Past half of it in an hour, further
requests for numbers under the prefix ask for a challenge (``PrefixBudget.crowded``). A share
of it (``SMS_ACCOUNTS_SHARE``) is kept for numbers that already have an account: numbers
without one may spend the rest only (``PrefixBudget.allows``;
docs/decisions/0652-a-share-of-the-sms-budget-kept-for-accounts.md).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import RateLimited


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    e164: str  # the canonical form: "+" and digits
    country: str  # the ISO region ("FR"); "" when unknown (a non-geographic number)
    calling_code: int


# The budget: SMS_BUDGETS (docs/reference/phone.md, "The SMS budget")
SMS_BUDGET = "sms_budget"  # the code of a refused spend (429)
EVERY_OTHER = "*"
DEFAULT_PER_HOUR = 200  # ``*:200/h``: every other number, unless SMS_BUDGETS names ``*``
PER_HOUR_MAX = 1_000_000
CHALLENGE_SHARE = 2  # a prefix's requests ask for a challenge past 1/2 of its hour's budget
ACCOUNTS_SHARE = 25  # the percentage of a budget kept for numbers with an account (default)
_HOUR = timedelta(hours=1)
_ENTRY = re.compile(r"(\*|\+[1-9][0-9]{0,14}):([0-9]{1,7})(/h)?")


@dataclass(frozen=True, slots=True)
class PrefixBudget:
    """The texts numbers under ``prefix`` (``*``: no other prefix) may be sent per hour."""

    prefix: str
    per_hour: int

    def crowded(self, spent: SmsCount, accounts_share: int = 0) -> bool:
        """Whether the texts ``spent`` in the hour reach half the budget (rounded up), from
        which further requests ask for a challenge (docs/security.md, "A challenge on
        signals"; docs/decisions/0542-a-challenge-on-a-prefix-past-half-its-budget.md). A
        range budgeted at 0 is refused, never challenged."""
        used = self.used(spent, accounts_share)
        return self.per_hour > 0 and used >= -(-self.per_hour // CHALLENGE_SHARE)

    def fresh_at_most(self, accounts_share: int) -> int:
        """The texts an hour numbers without an account may spend: the budget less the
        ``accounts_share`` percent of it (rounded down) kept for numbers with one."""
        return self.per_hour - self.per_hour * accounts_share // 100

    def used(self, spent: SmsCount, accounts_share: int) -> int:
        """The budget ``spent`` has used: every spend for a number with an account, and those
        for numbers without one up to their share (the ones past it were refused without
        using any)."""
        return spent.held + min(spent.fresh, self.fresh_at_most(accounts_share))

    def allows(self, spent: SmsCount, *, held: bool, accounts_share: int) -> bool:
        """Whether the spend that brought the hour's counts to ``spent`` (its own counted)
        may go: within the budget, and for a number without an account (``held`` false)
        within what the ``accounts_share`` leaves such numbers. Each concurrent spend gets
        its own counts, so of any number at once no more than the budget go, and no more
        than the rest for numbers without an account."""
        if not held and spent.fresh > self.fresh_at_most(accounts_share):
            return False
        return self.used(spent, accounts_share) <= self.per_hour

    def window(self, now: datetime) -> SmsWindow:
        """The clock hour ``now`` is in, under this prefix."""
        start = now.replace(minute=0, second=0, microsecond=0)
        return SmsWindow(key=f"{self.prefix}@{start:%Y-%m-%dT%H}", end=start + _HOUR)


@dataclass(frozen=True, slots=True)
class SmsCount:
    """A prefix's hour's spends so far, each counted when asked, whether it went or not:
    ``count`` of every kind, ``fresh`` those for numbers without an account."""

    count: int
    fresh: int = 0

    @property
    def held(self) -> int:
        """The spends for numbers with an account."""
        return self.count - self.fresh


@dataclass(frozen=True, slots=True)
class SmsWindow:
    """One prefix's clock hour: its counter's ``key``, and when it ends."""

    key: str
    end: datetime

    def refused(self, now: datetime) -> RateLimited:
        """The refusal of a text in this hour: tried again once it is over."""
        seconds = math.ceil((self.end - now).total_seconds())
        return RateLimited(
            "No more text messages can be sent to this number now; try again later.",
            retry_after=seconds,
            code=SMS_BUDGET,
        )


@dataclass(frozen=True, slots=True)
class SmsBudgets:
    """The budgets by prefix, the longest first, and the one of every other number."""

    prefixes: tuple[PrefixBudget, ...]
    every_other: PrefixBudget = PrefixBudget(EVERY_OTHER, DEFAULT_PER_HOUR)

    @classmethod
    def parse(cls, text: str) -> SmsBudgets:
        """Comma-separated ``PREFIX:COUNT/h`` (``/h`` may be left off), a prefix ``+`` and
        digits or ``*``; ValueError saying what is wrong."""
        found: dict[str, PrefixBudget] = {}
        entries = [entry.strip() for entry in text.split(",")]
        if not any(entries):
            raise ValueError("it is empty (SMS_ENABLED=false stops every text)")
        for entry in entries:
            match = _ENTRY.fullmatch(entry.replace(" ", ""))
            if match is None:
                raise ValueError(
                    f"{entry!r} is not PREFIX:COUNT/h, a prefix being + and digits or *"
                )
            prefix, count = match[1], int(match[2])
            if prefix in found:
                raise ValueError(f"{prefix} has two budgets")
            if count > PER_HOUR_MAX:
                raise ValueError(f"{entry!r}: at most {PER_HOUR_MAX} texts an hour")
            found[prefix] = PrefixBudget(prefix, count)
        every_other = found.pop(EVERY_OTHER, PrefixBudget(EVERY_OTHER, DEFAULT_PER_HOUR))
        longest_first = sorted(found.values(), key=lambda budget: -len(budget.prefix))
        return cls(tuple(longest_first), every_other)

    def for_number(self, number: PhoneNumber) -> PrefixBudget:
        """The budget ``number`` spends from: its longest prefix's, else every other's."""
        return next(
            (budget for budget in self.prefixes if number.e164.startswith(budget.prefix)),
            self.every_other,
        )
