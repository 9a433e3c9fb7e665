"""One suite for the SMS budget's counters, in memory (the fake) and on Firestore, and the
budget over each: every concurrent spend gets its own counts (of every kind, and of numbers
without an account), so 30 at once against a budget of 10 send exactly 10, and a pumped range
sends no more than its budget less the share kept for numbers with an account
(docs/decisions/0533-phone-numbers-and-their-sms-budget.md,
docs/decisions/0652-a-share-of-the-sms-budget-kept-for-accounts.md)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.phone.sms_budget import HourlySmsBudget, SmsCounts
from domain.errors import RateLimited
from domain.phone.numbers import PhoneNumber, SmsBudgets, SmsCount
from tests.fakes.kernel import FakeClock
from tests.unit.phone.fakes import FakeSmsCounts

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
EXPIRES = NOW + timedelta(hours=1)


@pytest.fixture(params=["fake", "firestore"])
def counts(request: pytest.FixtureRequest) -> SmsCounts:
    if request.param == "fake":
        return FakeSmsCounts()
    from infrastructure.firestore.phone.sms_counts import FirestoreSmsCounts

    client: Any = request.getfixturevalue("firestore")
    return FirestoreSmsCounts(client)


def test_each_key_counts_its_own(counts: SmsCounts) -> None:
    key = "+44@2026-05-01T12"
    assert [counts.spend(key, EXPIRES, fresh=False) for _ in range(2)] == [
        SmsCount(1),
        SmsCount(2),
    ]
    assert counts.spend(key, EXPIRES, fresh=True) == SmsCount(3, fresh=1)
    assert counts.spend(key, EXPIRES, fresh=False) == SmsCount(4, fresh=1)
    assert counts.spend("+44@2026-05-01T13", EXPIRES, fresh=True) == SmsCount(1, fresh=1)
    assert counts.spend("*@2026-05-01T12", EXPIRES, fresh=False) == SmsCount(1)
    assert counts.spend("+4470@2026-05-01T12", EXPIRES, fresh=False) == SmsCount(1)


def test_concurrent_spends_each_get_their_own_count(counts: SmsCounts) -> None:
    def spend(n: int) -> SmsCount:
        return counts.spend("+33@2026-05-01T12", EXPIRES, fresh=n % 2 == 0)

    with ThreadPoolExecutor(max_workers=30) as pool:
        found = list(pool.map(spend, range(30)))
    assert sorted(spent.count for spent in found) == list(range(1, 31))
    assert max(spent.fresh for spent in found) == 15


def sent(
    spender: HourlySmsBudget, numbers: list[PhoneNumber], workers: int, *, held: bool = True
) -> int:
    def spend(number: PhoneNumber) -> str:
        try:
            spender.spend(number, held=held)
        except RateLimited as exc:
            return exc.code
        return "sent"

    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(spend, numbers))
    assert set(outcomes) <= {"sent", "sms_budget"}
    return outcomes.count("sent")


def test_thirty_spends_at_once_against_a_budget_of_ten_send_ten(counts: SmsCounts) -> None:
    spender = HourlySmsBudget(
        counts=counts, budgets=SmsBudgets.parse("+33:10/h"), clock=FakeClock(NOW)
    )
    numbers = [PhoneNumber(f"+336123456{n:02d}", "FR", 33) for n in range(30)]
    assert sent(spender, numbers, workers=30) == 10
    spanish = [PhoneNumber(f"+346123456{n:02d}", "ES", 34) for n in range(30)]
    spender = HourlySmsBudget(
        counts=counts, budgets=SmsBudgets.parse("+34:10/h"), clock=FakeClock(NOW)
    )
    assert sent(spender, spanish, workers=30, held=False) == 8  # 2 of 10 kept for accounts


def test_a_pumped_range_sends_at_most_its_budget_less_the_accounts_share(
    counts: SmsCounts,
) -> None:
    """1,000 requests for 200 numbers without an account of a range that looks premium (UK
    personal numbers, +44 70) budgeted at 50 an hour, from 50 addresses at once (the
    addresses are the HTTP layer's; here 50 threads, each an instance of its own): 38 texts,
    the 12 kept for numbers with an account (SMS_ACCOUNTS_SHARE's 25 %) then theirs."""
    budgets = SmsBudgets.parse("+4470:50/h,*:200/h")
    instances = [
        HourlySmsBudget(counts=counts, budgets=budgets, clock=FakeClock(NOW)) for _ in range(50)
    ]
    numbers = [PhoneNumber(f"+4470001{n:05d}", "GB", 44) for n in range(200)]

    def request(n: int, *, held: bool = False) -> bool:
        try:
            instances[n % 50].spend(numbers[n % 200], held=held)
        except RateLimited:
            return False
        return True

    with ThreadPoolExecutor(max_workers=50) as pool:
        assert sum(pool.map(request, range(1_000))) == 38
        assert sum(pool.map(lambda n: request(n, held=True), range(100))) == 12
