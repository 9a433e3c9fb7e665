"""One suite for the EmailCodeFlowStore port, run against the fake and against Firestore: one
live flow per address and asker, the address's request limits per asking client and in all
(a request counted without a flow among them), a flow found by its link's token, guessed at no
more than five times and spent once however many race (docs/decisions/0474-email-codes.md,
docs/decisions/0494-codes-belong-to-who-asked.md,
docs/decisions/0650-a-numbers-texts-counted-on-the-number.md,
docs/decisions/0651-a-request-voids-only-its-own-askers-code.md)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.signin.codes.email import EmailCodeFlowStore
from domain.errors import RateLimited
from domain.signin.codes.email_codes import (
    ADDRESS_REQUESTS_PER_HOUR,
    EMAIL_CODE_RATE_LIMITED,
    MAX_GUESSES,
    EmailCodeFlow,
    secret_hash,
)
from tests.fakes.signin import FakeEmailCodeFlows

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
KEY = "alice@example.com"
HOLDER, STRANGER = "client-a", "client-b"  # the asking clients' names (``client_of``)


@pytest.fixture(params=["fake", "firestore"])
def flows(request: pytest.FixtureRequest) -> EmailCodeFlowStore:
    if request.param == "fake":
        return FakeEmailCodeFlows()
    from infrastructure.firestore.signin.email_codes import FirestoreEmailCodeFlows

    client: Any = request.getfixturevalue("firestore")
    return FirestoreEmailCodeFlows(client)


def new_flow(flow_id: str, now: datetime = NOW) -> EmailCodeFlow:
    return EmailCodeFlow.start(id=flow_id, email=KEY, now=now, browser_hash=None, locale="es")


def test_a_new_request_voids_the_flow_before_of_its_asker_only(flows: EmailCodeFlowStore) -> None:
    flows.start(new_flow("f1"), KEY, NOW, HOLDER, asker=HOLDER, challenged=False)
    flows.start(new_flow("s1"), KEY, NOW, STRANGER, asker=STRANGER, challenged=False)
    later = NOW + timedelta(seconds=31)
    flows.start(new_flow("f2", later), KEY, later, HOLDER, asker=HOLDER, challenged=False)
    first, second, theirs = flows.get("f1"), flows.get("f2"), flows.get("s1")
    assert first is not None and first.void and not first.usable(later)
    assert second is not None and second.usable(later) and second.locale == "es"
    assert theirs is not None and theirs.usable(later)  # another asker's flow stays live
    assert flows.requests(KEY).live_flow == "f2"
    assert flows.get("nope") is None


def start(
    flows: EmailCodeFlowStore,
    flow_id: str,
    at: datetime,
    client: str = HOLDER,
    *,
    challenged: bool = False,
    key: str = KEY,
) -> None:
    flows.start(new_flow(flow_id, at), key, at, client, asker=client, challenged=challenged)


def test_a_request_counted_without_a_flow_spends_the_budget_and_voids_nothing(
    flows: EmailCodeFlowStore,
) -> None:
    start(flows, "f1", NOW)
    flows.count(KEY, NOW + timedelta(seconds=1), STRANGER, challenged=False)
    with pytest.raises(RateLimited) as soon:  # the stranger's own gap
        flows.count(KEY, NOW + timedelta(seconds=2), STRANGER, challenged=False)
    assert soon.value.code == EMAIL_CODE_RATE_LIMITED and soon.value.retry_after == 29
    live = flows.get("f1")
    assert live is not None and live.usable(NOW + timedelta(seconds=2))
    record = flows.requests(KEY)
    assert (record.live_flow, len(record.times)) == ("f1", 2)
    for n in range(3):  # five of all clients in the hour: the next asks a challenge
        flows.count(KEY, NOW + timedelta(minutes=1 + n), f"client-{n}", challenged=False)
    with pytest.raises(RateLimited):
        start(flows, "f2", NOW + timedelta(minutes=5), "client-x")
    assert flows.get("f2") is None


def test_requests_per_address_are_limited(flows: EmailCodeFlowStore) -> None:
    start(flows, "f0", NOW)
    with pytest.raises(RateLimited) as early:
        start(flows, "early", NOW + timedelta(seconds=10))
    assert early.value.code == EMAIL_CODE_RATE_LIMITED and early.value.retry_after == 20
    assert flows.get("early") is None
    for n in range(1, 5):
        start(flows, f"f{n}", NOW + timedelta(minutes=n))
    with pytest.raises(RateLimited) as sixth:
        start(flows, "f5", NOW + timedelta(minutes=5))
    assert sixth.value.retry_after == 55 * 60
    start(flows, "other", NOW + timedelta(minutes=5), key="bob@example.com")
    start(flows, "f6", NOW + timedelta(hours=1))


def test_a_strangers_requests_spend_the_strangers_budget_not_the_holders(
    flows: EmailCodeFlowStore,
) -> None:
    for n in range(5):  # a stranger asks five times: their own budget is spent
        start(flows, f"s{n}", NOW + timedelta(minutes=n), STRANGER)
    with pytest.raises(RateLimited):
        start(flows, "s5", NOW + timedelta(minutes=5), STRANGER)
    assert flows.requests(KEY).crowded(NOW + timedelta(minutes=5))
    # The address is at its budget of all clients: the holder goes on past a challenge...
    with pytest.raises(RateLimited):
        start(flows, "h0", NOW + timedelta(minutes=5), HOLDER)
    start(flows, "h1", NOW + timedelta(minutes=5), HOLDER, challenged=True)
    held = flows.get("h1")
    assert held is not None and held.usable(NOW + timedelta(minutes=5))
    # ... up to the address's bound of all clients, challenged or not.
    for n in range(ADDRESS_REQUESTS_PER_HOUR - 6):
        at = NOW + timedelta(minutes=6 + n)
        start(flows, f"c{n}", at, f"client-{n}", challenged=True)
    with pytest.raises(RateLimited):
        start(flows, "over", NOW + timedelta(minutes=30), "client-x", challenged=True)


def test_a_flow_is_found_by_its_links_token(flows: EmailCodeFlowStore) -> None:
    start(flows, "f1", NOW)
    assert flows.by_link(secret_hash("link-token")) is None
    flows.update("f1", lambda f: f.issued("link-token", NOW))
    found = flows.by_link(secret_hash("link-token"))
    assert found is not None and found.id == "f1" and found.opens_with("link-token")
    assert flows.by_link(secret_hash("another")) is None


def test_of_thirty_parallel_guesses_five_are_counted(flows: EmailCodeFlowStore) -> None:
    start(flows, "f1", NOW)
    flows.update("f1", lambda f: f.issued("link-token", NOW))
    with ThreadPoolExecutor(max_workers=30) as pool:
        after = list(
            pool.map(lambda n: flows.update("f1", lambda f: f.guessed(NOW, f"n{n}")), range(30))
        )
    counted = [n for n, flow in enumerate(after) if flow is not None and flow.last_guess == f"n{n}"]
    assert len(counted) == MAX_GUESSES
    final = flows.get("f1")
    assert final is not None and final.guesses == MAX_GUESSES and not final.usable(NOW)


def test_of_thirty_parallel_spends_one_wins(flows: EmailCodeFlowStore) -> None:
    start(flows, "f1", NOW)
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
            start(flows, f"r{n}", NOW)
        except RateLimited:
            return False
        return True

    with ThreadPoolExecutor(max_workers=30) as pool:
        started = list(pool.map(request, range(30)))
    assert started.count(True) == 1
    live = [n for n in range(30) if (flow := flows.get(f"r{n}")) and flow.usable(NOW)]
    assert live == [started.index(True)]
