"""One suite for the EmailCodeFlowStore port, run against the fake and against Firestore: one
live flow per address, the address's request limits, a flow spent once however many race
(docs/decisions/0474-email-codes.md)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.mail.email_code import EmailCodeFlowStore
from domain.errors import RateLimited
from domain.mail.email_codes import EMAIL_CODE_RATE_LIMITED, EmailCodeFlow
from tests.fakes.mail import FakeEmailCodeFlows

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
KEY = "alice@example.com"


@pytest.fixture(params=["fake", "firestore"])
def flows(request: pytest.FixtureRequest) -> EmailCodeFlowStore:
    if request.param == "fake":
        return FakeEmailCodeFlows()
    from infrastructure.firestore.mail.email_codes import FirestoreEmailCodeFlows

    client: Any = request.getfixturevalue("firestore")
    return FirestoreEmailCodeFlows(client)


def new_flow(flow_id: str, now: datetime = NOW) -> EmailCodeFlow:
    return EmailCodeFlow.start(id=flow_id, email=KEY, now=now, browser_hash=None, locale="es")


def test_a_new_request_voids_the_flow_before(flows: EmailCodeFlowStore) -> None:
    flows.start(new_flow("f1"), KEY, NOW)
    later = NOW + timedelta(seconds=31)
    flows.start(new_flow("f2", later), KEY, later)
    first, second = flows.get("f1"), flows.get("f2")
    assert first is not None and first.void and not first.usable(later)
    assert second is not None and second.usable(later) and second.locale == "es"
    assert flows.get("nope") is None


def test_requests_per_address_are_limited(flows: EmailCodeFlowStore) -> None:
    flows.start(new_flow("f0"), KEY, NOW)
    with pytest.raises(RateLimited) as early:
        flows.start(new_flow("early"), KEY, NOW + timedelta(seconds=10))
    assert early.value.code == EMAIL_CODE_RATE_LIMITED and early.value.retry_after == 20
    assert flows.get("early") is None
    for n in range(1, 5):
        at = NOW + timedelta(minutes=n)
        flows.start(new_flow(f"f{n}", at), KEY, at)
    with pytest.raises(RateLimited) as sixth:
        flows.start(new_flow("f5"), KEY, NOW + timedelta(minutes=5))
    assert sixth.value.retry_after == 55 * 60
    flows.start(new_flow("other"), "bob@example.com", NOW + timedelta(minutes=5))
    flows.start(new_flow("f6"), KEY, NOW + timedelta(hours=1))


def test_of_thirty_parallel_spends_one_wins(flows: EmailCodeFlowStore) -> None:
    flows.start(new_flow("f1"), KEY, NOW)
    issued = flows.update("f1", lambda f: f.issued("link-token", NOW))
    assert issued is not None and issued.opens_with("link-token")
    with ThreadPoolExecutor(max_workers=30) as pool:
        spent = list(
            pool.map(lambda n: flows.update("f1", lambda f: f.spent(NOW, f"n{n}")), range(30))
        )
    winners = {flow.spent_by for flow in spent if flow is not None}
    assert len(winners) == 1
    assert sum(1 for n, flow in enumerate(spent) if flow and flow.spent_by == f"n{n}") == 1


def test_thirty_parallel_requests_for_one_address_leave_one_live_flow(
    flows: EmailCodeFlowStore,
) -> None:
    def request(n: int) -> bool:
        try:
            flows.start(new_flow(f"r{n}"), KEY, NOW)
        except RateLimited:
            return False
        return True

    with ThreadPoolExecutor(max_workers=30) as pool:
        started = list(pool.map(request, range(30)))
    assert started.count(True) == 1
    live = [n for n in range(30) if (flow := flows.get(f"r{n}")) and flow.usable(NOW)]
    assert live == [started.index(True)]
