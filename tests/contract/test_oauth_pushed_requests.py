"""The PushedRequests port, run against the fake and against Firestore: a pushed request is
kept when the browser brings it, under its push's id's hash, once (of thirty parallel
arrivals one), and resumed with its ticket (docs/reference/oauth.md, "Pushed authorization
requests")."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.provider.authorization.pushed import (
    BringPushedRequest,
    BroughtPushedRequest,
    PushedAuthorizations,
    PushRequest,
    ResumePushed,
)
from application.provider.ports import PushedRequests
from domain.provider.pushed import Push, PushedRequestRefused
from infrastructure.provider.sealed_requests import AesGcmRequestSeal
from tests.fakes.kernel import FakeClock
from tests.fakes.provider import FakePushedRequests

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
SEAL = AesGcmRequestSeal(b"k" * 32)  # pure computation: the push keeps nothing
PARAMS = (
    ("response_type", "code"),
    ("scope", "openid email"),
    ("state", "a b&c=d"),
    ("claims", '{"id_token": {"email": null}}'),
    ("prompt", ""),
    ("client_id", "c1"),
)


@pytest.fixture(params=["fake", "firestore"])
def pushed(request: pytest.FixtureRequest) -> PushedRequests:
    if request.param == "fake":
        return FakePushedRequests()
    from infrastructure.firestore.provider.oauth_pushed import FirestorePushedRequests

    client: Any = request.getfixturevalue("firestore")
    return FirestorePushedRequests(client)


def test_a_request_brought_is_kept_once_as_it_was_brought(pushed: PushedRequests) -> None:
    push = Push.new("c1", PARAMS, NOW)
    arrived = push.arrive("c1", "t", NOW)
    assert pushed.spend(arrived)
    assert pushed.get(arrived.key) == arrived
    assert not pushed.spend(push.arrive("c1", "u", NOW))  # used already
    assert pushed.get(arrived.key) == arrived  # as the first arrival left it
    assert pushed.get("0" * 64) is None
    assert pushed.get("not a key") is None


def test_thirty_parallel_arrivals_spend_it_once(pushed: PushedRequests) -> None:
    clock = FakeClock(NOW)
    requests = PushedAuthorizations(pushed=pushed, seal=SEAL, clock=clock)
    uri = requests.push_request(PushRequest("c1", PARAMS)).request_uri

    def arrive(_: int) -> BroughtPushedRequest | None:
        try:
            return requests.bring_pushed(BringPushedRequest("c1", uri))
        except PushedRequestRefused:
            return None

    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = list(pool.map(arrive, range(30)))
    winners = [found for found in outcomes if found is not None]
    assert len(winners) == 1
    (winner,) = winners
    assert winner.params == PARAMS
    resumed = requests.resume_pushed(ResumePushed("c1", winner.resume))
    assert resumed == PARAMS
    clock.advance(minutes=10, seconds=1)
    with pytest.raises(PushedRequestRefused):
        requests.resume_pushed(ResumePushed("c1", winner.resume))


def test_it_expires_sixty_seconds_after_the_push(pushed: PushedRequests) -> None:
    clock = FakeClock(NOW)
    requests = PushedAuthorizations(pushed=pushed, seal=SEAL, clock=clock)
    uri = requests.push_request(PushRequest("c1", PARAMS)).request_uri
    clock.advance(seconds=60)
    with pytest.raises(PushedRequestRefused, match="expired"):
        requests.bring_pushed(BringPushedRequest("c1", uri))
    assert NOW + timedelta(seconds=60) == clock.now()
