"""One suite for the SMS budget's counters, in memory (the fake) and on Firestore, and the
budget over each: every concurrent spend gets its own count, so 30 at once against a budget
of 10 send exactly 10, and a pumped range sends no more than its budget
(docs/decisions/0533-phone-numbers-and-their-sms-budget.md)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.signin.codes.sms_budget import HourlySmsBudget, SmsCounts
from domain.errors import RateLimited
from domain.signin.phone_numbers import PhoneNumber, SmsBudgets
from tests.fakes.kernel import FakeClock
from tests.fakes.sms import FakeSmsCounts

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
EXPIRES = NOW + timedelta(hours=1)


@pytest.fixture(params=["fake", "firestore"])
def counts(request: pytest.FixtureRequest) -> SmsCounts:
    if request.param == "fake":
        return FakeSmsCounts()
    from infrastructure.firestore.signin.sms_counts import FirestoreSmsCounts

    client: Any = request.getfixturevalue("firestore")
    return FirestoreSmsCounts(client)


def test_each_key_counts_its_own(counts: SmsCounts) -> None:
    assert [counts.spend("+44@2026-05-01T12", EXPIRES) for _ in range(3)] == [1, 2, 3]
    assert counts.spend("+44@2026-05-01T13", EXPIRES) == 1
    assert counts.spend("*@2026-05-01T12", EXPIRES) == 1
    assert counts.spend("+4470@2026-05-01T12", EXPIRES) == 1


def test_concurrent_spends_each_get_their_own_count(counts: SmsCounts) -> None:
    with ThreadPoolExecutor(max_workers=30) as pool:
        found = list(pool.map(lambda _: counts.spend("+33@2026-05-01T12", EXPIRES), range(30)))
    assert sorted(found) == list(range(1, 31))


def sent(spender: HourlySmsBudget, numbers: list[PhoneNumber], workers: int) -> int:
    def spend(number: PhoneNumber) -> str:
        try:
            spender.spend(number)
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


def test_a_pumped_range_sends_at_most_its_budget(counts: SmsCounts) -> None:
    """1,000 requests for 200 numbers of a range that looks premium (UK personal numbers,
    +44 70) budgeted at 50 an hour, from 50 addresses at once (the addresses are the HTTP
    layer's; here 50 threads, each an instance of its own): 50 texts."""
    budgets = SmsBudgets.parse("+4470:50/h,*:200/h")
    instances = [
        HourlySmsBudget(counts=counts, budgets=budgets, clock=FakeClock(NOW)) for _ in range(50)
    ]
    numbers = [PhoneNumber(f"+4470001{n:05d}", "GB", 44) for n in range(200)]

    def request(n: int) -> bool:
        try:
            instances[n % 50].spend(numbers[n % 200])
        except RateLimited:
            return False
        return True

    with ThreadPoolExecutor(max_workers=50) as pool:
        assert sum(pool.map(request, range(1_000))) == 50
